using ElectraLab.Storage.Resilience;
using ElectraLab.Storage.Results;
using Npgsql;

namespace ElectraLab.Storage.Queries;

/// <summary>One evaluated checkpoint of one experiment: its step, the train FLOPs spent to reach it, and its medians.</summary>
public sealed record ComputeCurvePoint(long Step, double TrainFlops, IReadOnlyDictionary<string, double> Columns);

/// <summary>An experiment's evaluations over its checkpoints (FLOP milestones and the end), oldest first.</summary>
public sealed record ComputeCurve(Guid ExperimentId, string Name, string Objective, double GeneratorSize, string ModelSize, long Params,
    IReadOnlyList<ComputeCurvePoint> Points);

/// <summary>
/// The compute view's data: for each of a team's experiments, the medians over fine-tuning seeds of every benchmark
/// column at every evaluated checkpoint, so a milestone-evaluated run draws as a curve. The train FLOPs at a checkpoint
/// are the experiment's FLOPs per step (its train FLOPs over its configured steps) times the checkpoint's step.
/// </summary>
public sealed class ComputeCurveQueries(NpgsqlDataSource dataSource)
{
    public Task<IReadOnlyList<ComputeCurve>> GetAsync(Guid teamId, string benchmark, string? objective = null, string? tag = null,
        CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => GetOnceAsync(teamId, benchmark, objective, tag, ct), RetryPolicy.Request, dataSource,
            cancellationToken: cancellationToken);

    private async Task<IReadOnlyList<ComputeCurve>> GetOnceAsync(Guid teamId, string benchmark, string? objective, string? tag,
        CancellationToken cancellationToken)
    {
        var columns = Benchmarks.For(benchmark).ToList();
        if (columns.Count == 0) throw new ArgumentException($"Unknown benchmark '{benchmark}'.", nameof(benchmark));
        await using var command = dataSource.CreateCommand("""
            WITH defs AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) AS d(col, task, metric)),
            medians AS (
                SELECT r.experiment_id, r.checkpoint_step, d.col, percentile_cont(0.5) WITHIN GROUP (ORDER BY r.value) AS median
                FROM evaluation_results r
                JOIN defs d ON d.task = r.task AND d.metric = r.metric
                JOIN experiments e ON e.id = r.experiment_id AND e.team_id = $1
                WHERE ($5::text IS NULL OR e.objective = $5) AND ($6::text IS NULL OR e.tags @> ARRAY[$6::text])
                GROUP BY r.experiment_id, r.checkpoint_step, d.col)
            SELECT e.id, e.name, e.objective, e.generator_size, e.model_size, e.params, e.train_flops,
                   coalesce((e.config ->> 'num_train_steps')::bigint, 0), m.checkpoint_step, m.col, m.median
            FROM medians m JOIN experiments e ON e.id = m.experiment_id
            ORDER BY e.id, m.checkpoint_step, m.col
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = columns.Select(c => c.Column).ToArray() });
        command.Parameters.Add(new() { Value = columns.Select(c => c.Task).ToArray() });
        command.Parameters.Add(new() { Value = columns.Select(c => c.Metric).ToArray() });
        command.Parameters.Add(new() { Value = (object?)objective ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)tag ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });

        var curves = new List<ComputeCurve>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        ComputeCurve? current = null;
        List<ComputeCurvePoint>? points = null;
        Dictionary<string, double>? columnValues = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            if (current?.ExperimentId != id)
            {
                points = [];
                current = new ComputeCurve(id, reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetString(4),
                    reader.GetInt64(5), points);
                curves.Add(current);
            }
            var trainFlops = reader.GetDouble(6);
            var steps = reader.GetInt64(7);
            var step = reader.GetInt64(8);
            if (points!.Count == 0 || points[^1].Step != step)
            {
                columnValues = [];
                // FLOPs are spent evenly per step; without a configured length the run's total is all there is.
                points.Add(new ComputeCurvePoint(step, steps > 0 ? trainFlops * Math.Min(step, steps) / steps : trainFlops, columnValues));
            }
            columnValues![reader.GetString(9)] = reader.GetDouble(10);
        }
        return curves;
    }
}
