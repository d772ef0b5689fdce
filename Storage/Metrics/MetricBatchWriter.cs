using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Metrics;

/// <summary>
/// Writes one batch of metric points: binary COPY into a session temp table, then one INSERT ... ON CONFLICT DO NOTHING
/// into <c>metrics</c>, in one transaction. Replaying a batch (a job resumed from its last checkpoint) writes nothing
/// twice, and a batch is either entirely written or not at all, so a failed batch can simply be retried.
/// </summary>
public static class MetricBatchWriter
{
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<MetricPoint> points,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(
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

        int inserted;
        await using (var merge = new NpgsqlCommand(
            "INSERT INTO metrics (experiment_id, name, step, value, job_id, time) " +
            "SELECT experiment_id, name, step, value, job_id, time FROM metric_stage " +
            "ON CONFLICT (experiment_id, name, step) DO NOTHING", connection, transaction))
        {
            inserted = await merge.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }
}
