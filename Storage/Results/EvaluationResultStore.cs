using ElectraLab.Storage.Resilience;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Results;

/// <summary>
/// Writes evaluation results and, in the same transaction, recomputes the leaderboard entries of the experiments they
/// touch from the raw rows: medians over fine-tuning seeds of each task metric at the latest evaluated checkpoint, and
/// the seeds' range around each (min, max, count), so a reader can tell a real gap from seed noise.
/// Re-reporting a (experiment, checkpoint, task, metric, seed) replaces its value, so a retried job is harmless.
/// </summary>
public sealed class EvaluationResultStore(NpgsqlDataSource dataSource)
{
    private const string RefreshSql = """
        WITH defs AS (
            SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[])
                AS d(benchmark, col, task, metric, in_score)),
        latest AS (
            SELECT experiment_id, task, metric, max(checkpoint_step) AS step
            FROM evaluation_results WHERE experiment_id = ANY($1)
            GROUP BY experiment_id, task, metric),
        medians AS (
            SELECT r.experiment_id, r.task, r.metric, percentile_cont(0.5) WITHIN GROUP (ORDER BY r.value) AS median,
                   min(r.value) AS lo, max(r.value) AS hi, count(*) AS seeds
            FROM evaluation_results r
            JOIN latest l ON l.experiment_id = r.experiment_id AND l.task = r.task AND l.metric = r.metric
                         AND l.step = r.checkpoint_step
            GROUP BY r.experiment_id, r.task, r.metric)
        INSERT INTO leaderboard_entries (experiment_id, team_id, benchmark, score, columns, columns_reported, seed_ranges,
                                         updated_at)
        SELECT m.experiment_id, e.team_id, d.benchmark,
               CASE WHEN count(*) FILTER (WHERE d.in_score) =
                         (SELECT count(*) FROM defs x WHERE x.benchmark = d.benchmark AND x.in_score)
                    THEN avg(m.median) FILTER (WHERE d.in_score) END,
               jsonb_object_agg(d.col, m.median), count(*), jsonb_object_agg(d.col, jsonb_build_array(m.lo, m.hi, m.seeds)),
               now()
        FROM medians m
        JOIN defs d ON d.task = m.task AND d.metric = m.metric
        JOIN experiments e ON e.id = m.experiment_id
        GROUP BY m.experiment_id, e.team_id, d.benchmark
        ON CONFLICT (experiment_id, benchmark) DO UPDATE
        SET score = excluded.score, columns = excluded.columns, columns_reported = excluded.columns_reported,
            seed_ranges = excluded.seed_ranges, updated_at = excluded.updated_at
        """;

    public Task AddAsync(IReadOnlyList<EvaluationResultRow> rows, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => AddOnceAsync(rows, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task AddOnceAsync(IReadOnlyList<EvaluationResultRow> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE evaluation_stage (experiment_id uuid, checkpoint_step bigint, task text, metric text, " +
            "seed integer, value double precision, job_id uuid) ON COMMIT DROP", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY evaluation_stage FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                importer.StartRow();
                importer.Write(row.ExperimentId, NpgsqlDbType.Uuid);
                importer.Write(row.CheckpointStep, NpgsqlDbType.Bigint);
                importer.Write(row.Task, NpgsqlDbType.Text);
                importer.Write(row.Metric, NpgsqlDbType.Text);
                importer.Write(row.Seed, NpgsqlDbType.Integer);
                importer.Write(row.Value, NpgsqlDbType.Double);
                if (row.JobId is { } jobId)
                {
                    importer.Write(jobId, NpgsqlDbType.Uuid);
                }
                else
                {
                    importer.WriteNull();
                }
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await using (var merge = new NpgsqlCommand("""
            INSERT INTO evaluation_results (experiment_id, checkpoint_step, task, metric, seed, value, job_id, created_at)
            SELECT DISTINCT ON (experiment_id, task, metric, checkpoint_step, seed)
                   experiment_id, checkpoint_step, task, metric, seed, value, job_id, now()
            FROM evaluation_stage
            ON CONFLICT (experiment_id, task, metric, checkpoint_step, seed) DO UPDATE
            SET value = excluded.value, job_id = excluded.job_id, created_at = excluded.created_at
            """, connection, transaction))
        {
            await merge.ExecuteNonQueryAsync(cancellationToken);
        }
        var experiments = rows.Select(r => r.ExperimentId).Distinct().ToArray();
        await RefreshAsync(connection, transaction, experiments, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Recomputes the leaderboard entries of the given experiments from their raw evaluation rows.</summary>
    public static async Task RefreshAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid[] experiments,
        CancellationToken cancellationToken = default)
    {
        var columns = Benchmarks.Columns;
        await using var refresh = new NpgsqlCommand(RefreshSql, connection, transaction);
        refresh.Parameters.Add(new() { Value = experiments });
        refresh.Parameters.Add(new() { Value = columns.Select(c => c.Benchmark).ToArray() });
        refresh.Parameters.Add(new() { Value = columns.Select(c => c.Column).ToArray() });
        refresh.Parameters.Add(new() { Value = columns.Select(c => c.Task).ToArray() });
        refresh.Parameters.Add(new() { Value = columns.Select(c => c.Metric).ToArray() });
        refresh.Parameters.Add(new() { Value = columns.Select(c => c.InScore).ToArray() });
        await refresh.ExecuteNonQueryAsync(cancellationToken);
    }
}
