using System.Text.Json.Nodes;
using ElectraLab.Storage.Resilience;
using Npgsql;

namespace ElectraLab.Storage.Queries;

/// <summary>
/// A sweep's raw results as one document (GET /api/sweeps/{id}/results, and the results.json a report is made from):
/// the spec, every experiment with its resolved config, and every evaluation row (task, metric, checkpoint step,
/// fine-tuning seed, value). Nothing is summarised here, so a report can be regenerated from it alone.
/// </summary>
public sealed record SweepResultsExport(string Format, SweepExport Sweep, IReadOnlyList<ExperimentExport> Experiments)
{
    public const string CurrentFormat = "electralab-sweep-results/1";
}

public sealed record SweepExport(Guid Id, string Name, string Status, DateTimeOffset CreatedAt, JsonNode? Spec);

public sealed record ExperimentExport(Guid Id, string Name, string Status, string Objective, double GeneratorSize, string ModelSize,
    long Params, long Seed, double TrainFlops, string? DatasetSha256, JsonNode? Config, IReadOnlyList<ResultExport> Results);

public sealed record ResultExport(string Task, string Metric, long Step, int Seed, double Value);

public sealed class SweepResultsQueries(NpgsqlDataSource dataSource)
{
    /// <summary>The team's sweep with its experiments (by name) and their results (by task, metric, step, seed); null if none.</summary>
    public Task<SweepResultsExport?> ExportAsync(Guid teamId, Guid sweepId, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => ExportOnceAsync(teamId, sweepId, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<SweepResultsExport?> ExportOnceAsync(Guid teamId, Guid sweepId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT id, name, status, created_at, spec::text FROM sweeps WHERE id = $1 AND team_id = $2")
                {
                    Parameters = { new() { Value = sweepId }, new() { Value = teamId } },
                },
                new NpgsqlBatchCommand("""
                    SELECT id, name, status, objective, generator_size, model_size, params, seed, train_flops, dataset_sha256, config::text
                    FROM experiments WHERE sweep_id = $1 AND team_id = $2 ORDER BY name, id
                    """)
                {
                    Parameters = { new() { Value = sweepId }, new() { Value = teamId } },
                },
                new NpgsqlBatchCommand("""
                    SELECT r.experiment_id, r.task, r.metric, r.checkpoint_step, r.seed, r.value
                    FROM evaluation_results r JOIN experiments e ON e.id = r.experiment_id
                    WHERE e.sweep_id = $1 AND e.team_id = $2
                    ORDER BY r.experiment_id, r.task, r.metric, r.checkpoint_step, r.seed
                    """)
                {
                    Parameters = { new() { Value = sweepId }, new() { Value = teamId } },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var sweep = new SweepExport(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
            JsonNode.Parse(reader.GetString(4)));

        await reader.NextResultAsync(cancellationToken);
        var rows = new List<(Guid Id, Func<IReadOnlyList<ResultExport>, ExperimentExport> Make)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var (id, name, status, objective) = (reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
            var (generator, size, parameters, seed, flops) = (reader.GetDouble(4), reader.GetString(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetDouble(8));
            var dataset = reader.IsDBNull(9) ? null : reader.GetString(9);
            var config = JsonNode.Parse(reader.GetString(10));
            rows.Add((id, results => new ExperimentExport(id, name, status, objective, generator, size, parameters, seed, flops, dataset, config, results)));
        }

        await reader.NextResultAsync(cancellationToken);
        var results = new Dictionary<Guid, List<ResultExport>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var experiment = reader.GetGuid(0);
            if (!results.TryGetValue(experiment, out var list)) results[experiment] = list = [];
            list.Add(new ResultExport(reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4), reader.GetDouble(5)));
        }
        return new SweepResultsExport(SweepResultsExport.CurrentFormat, sweep,
            rows.Select(r => r.Make(results.GetValueOrDefault(r.Id) ?? [])).ToList());
    }
}
