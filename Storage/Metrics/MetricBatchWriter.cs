using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Metrics;

/// <summary>
/// Writes one batch of metric points: binary COPY into a session temp table, then one statement that inserts the
/// points not already stored and folds exactly those into <c>metric_rollups</c>, all in one transaction. Replaying a
/// batch (a job resumed from its last checkpoint) writes nothing twice, and a batch is written entirely or not at all,
/// so a failed batch can simply be retried.
/// </summary>
public static class MetricBatchWriter
{
    // Fast path: an anti-join and a plain insert, about twice as fast as ON CONFLICT's speculative insertion.
    // A concurrent writer of the same key, or a key repeated inside the batch, makes it fail with a unique
    // violation; the batch is then redone with ON CONFLICT DO NOTHING, which is always correct.
    private const string InsertNew = """
        INSERT INTO metrics (experiment_id, name, step, value, job_id, time)
        SELECT s.experiment_id, s.name, s.step, s.value, s.job_id, s.time FROM metric_stage s
        WHERE NOT EXISTS (SELECT 1 FROM metrics m
                          WHERE m.experiment_id = s.experiment_id AND m.name = s.name AND m.step = s.step)
        """;

    private const string InsertOrSkip = """
        INSERT INTO metrics (experiment_id, name, step, value, job_id, time)
        SELECT experiment_id, name, step, value, job_id, time FROM metric_stage
        ON CONFLICT (experiment_id, name, step) DO NOTHING
        """;

    // Rollup rows are upserted in key order, so concurrent flushers lock them in the same order and never deadlock.
    private static readonly string Rollup = $"""
        rolled AS (
            INSERT INTO metric_rollups (experiment_id, name, block, first_step, last_step, min_value, max_value,
                                        last_value, points)
            SELECT experiment_id, name, step / {Entities.MetricRollup.BlockSteps}, min(step), max(step), min(value),
                   max(value), (array_agg(value ORDER BY step DESC))[1], count(*)
            FROM inserted GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3
            ON CONFLICT (experiment_id, name, block) DO UPDATE SET
                first_step = least(metric_rollups.first_step, excluded.first_step),
                last_step = greatest(metric_rollups.last_step, excluded.last_step),
                min_value = least(metric_rollups.min_value, excluded.min_value),
                max_value = greatest(metric_rollups.max_value, excluded.max_value),
                last_value = CASE WHEN excluded.last_step > metric_rollups.last_step
                                  THEN excluded.last_value ELSE metric_rollups.last_value END,
                points = metric_rollups.points + excluded.points
            RETURNING 1)
        SELECT count(*) FROM inserted
        """;

    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<MetricPoint> points,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await WriteAsync(connection, points, InsertNew, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return await WriteAsync(connection, points, InsertOrSkip, cancellationToken);
        }
    }

    private static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<MetricPoint> points,
        string insert, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Asynchronous commit is safe here: WAL is flushed in order, so once the checkpoint a job resumes from is
        // durable, every metric batch committed before it is too; anything later is replayed by the resumed job.
        await using (var create = new NpgsqlCommand(
            "SET LOCAL synchronous_commit = off; " +
            "CREATE TEMP TABLE IF NOT EXISTS metric_stage (experiment_id uuid, name text, step bigint, " +
            "value double precision, job_id uuid, time timestamptz) ON COMMIT DELETE ROWS", connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY metric_stage (experiment_id, name, step, value, job_id, time) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            // Synchronous per-row writes: they only fill Npgsql's buffer and are far cheaper than async ones.
            foreach (var point in points)
            {
                importer.StartRow();
                importer.Write(point.ExperimentId, NpgsqlDbType.Uuid);
                importer.Write(point.Name, NpgsqlDbType.Text);
                importer.Write(point.Step, NpgsqlDbType.Bigint);
                importer.Write(point.Value, NpgsqlDbType.Double);
                if (point.JobId is { } jobId)
                {
                    importer.Write(jobId, NpgsqlDbType.Uuid);
                }
                else
                {
                    importer.WriteNull();
                }
                importer.Write(point.Time.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            }
            await importer.CompleteAsync(cancellationToken);
        }

        long inserted;
        await using (var merge = new NpgsqlCommand(
            $"WITH inserted AS ({insert} RETURNING experiment_id, name, step, value), {Rollup}", connection, transaction))
        {
            inserted = (long)(await merge.ExecuteScalarAsync(cancellationToken))!;
        }
        await transaction.CommitAsync(cancellationToken);
        return (int)inserted;
    }
}
