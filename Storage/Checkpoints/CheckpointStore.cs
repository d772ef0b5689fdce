using ElectraLab.Storage.Chunks;
using ElectraLab.Storage.Resilience;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Checkpoints;

/// <summary>Checkpoints as chunked bytea rows: streamed in and out, SHA-256 verified, retained by policy.</summary>
public sealed class CheckpointStore(NpgsqlDataSource dataSource, StorageOptions options)
{
    private const string InfoColumns =
        "id, experiment_id, job_id, step, kind, bytes, sha256, chunk_count, created_at";

    /// <summary>
    /// Streams <paramref name="content"/> into the database in chunks, hashing as it goes. Everything happens in one
    /// transaction, so no reader ever sees a half-written checkpoint and a crash leaves nothing behind. Writing the
    /// same (experiment, kind, step) again replaces the earlier checkpoint, so a replayed save is harmless.
    /// </summary>
    public Task<CheckpointInfo> WriteAsync(Guid experimentId, long step, string kind, Stream content,
        Guid? jobId = null, CancellationToken cancellationToken = default)
    {
        if (!content.CanSeek) return WriteOnceAsync(experimentId, step, kind, content, jobId, cancellationToken);
        // A failed attempt rolled back, so a retry starts the same stream again from where the first one did.
        var start = content.Position;
        return DatabaseRetry.RunAsync(ct =>
        {
            content.Position = start;
            return WriteOnceAsync(experimentId, step, kind, content, jobId, ct);
        }, RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);
    }

    private async Task<CheckpointInfo> WriteOnceAsync(Guid experimentId, long step, string kind, Stream content,
        Guid? jobId, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        var chunkSize = options.CheckpointChunkBytes;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var replace = new NpgsqlCommand(
            "DELETE FROM checkpoints WHERE experiment_id = $1 AND kind = $2 AND step = $3", connection, transaction))
        {
            replace.Parameters.Add(new() { Value = experimentId });
            replace.Parameters.Add(new() { Value = kind });
            replace.Parameters.Add(new() { Value = step });
            await replace.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var header = new NpgsqlCommand(
            "INSERT INTO checkpoints (id, experiment_id, job_id, step, kind, bytes, chunk_size, chunk_count, created_at) " +
            "VALUES ($1, $2, $3, $4, $5, 0, $6, 0, now())", connection, transaction))
        {
            header.Parameters.Add(new() { Value = id });
            header.Parameters.Add(new() { Value = experimentId });
            header.Parameters.Add(new() { Value = (object?)jobId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            header.Parameters.Add(new() { Value = step });
            header.Parameters.Add(new() { Value = kind });
            header.Parameters.Add(new() { Value = chunkSize });
            await header.ExecuteNonQueryAsync(cancellationToken);
        }

        var (bytes, chunks, sha256) = await ChunkWriter.CopyAsync(connection, "checkpoint_chunks (checkpoint_id, index, data)", id,
            content, chunkSize, cancellationToken);
        CheckpointInfo info;
        await using (var publish = new NpgsqlCommand(
            "UPDATE checkpoints SET bytes = $2, sha256 = $3, chunk_count = $4, published_at = now() WHERE id = $1 " +
            $"RETURNING {InfoColumns}", connection, transaction))
        {
            publish.Parameters.Add(new() { Value = id });
            publish.Parameters.Add(new() { Value = bytes });
            publish.Parameters.Add(new() { Value = sha256 });
            publish.Parameters.Add(new() { Value = chunks });
            await using var reader = await publish.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            info = ReadInfo(reader);
        }
        await transaction.CommitAsync(cancellationToken);
        return info;
    }

    public Task<CheckpointInfo?> GetAsync(Guid checkpointId, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => GetOnceAsync(checkpointId, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<CheckpointInfo?> GetOnceAsync(Guid checkpointId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {InfoColumns} FROM checkpoints WHERE id = $1 AND published_at IS NOT NULL");
        command.Parameters.Add(new() { Value = checkpointId });
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>The newest published checkpoint of an experiment: what a resuming job loads.</summary>
    public Task<CheckpointInfo?> GetLatestAsync(Guid experimentId, string kind = Entities.Checkpoint.TrainingState,
        CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => GetLatestOnceAsync(experimentId, kind, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<CheckpointInfo?> GetLatestOnceAsync(Guid experimentId, string kind = Entities.Checkpoint.TrainingState,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {InfoColumns} FROM checkpoints WHERE experiment_id = $1 AND kind = $2 AND published_at IS NOT NULL " +
            "ORDER BY step DESC LIMIT 1");
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = kind });
        return await ReadSingleAsync(command, cancellationToken);
    }

    public Task<IReadOnlyList<CheckpointInfo>> ListAsync(Guid experimentId, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => ListOnceAsync(experimentId, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<IReadOnlyList<CheckpointInfo>> ListOnceAsync(Guid experimentId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {InfoColumns} FROM checkpoints WHERE experiment_id = $1 AND published_at IS NOT NULL ORDER BY kind, step");
        command.Parameters.Add(new() { Value = experimentId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<CheckpointInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadInfo(reader));
        }
        return list;
    }

    /// <summary>
    /// Opens a published checkpoint for streamed reading. The stream verifies length and SHA-256 when it reaches the
    /// end and throws <see cref="InvalidDataException"/> on a mismatch.
    /// </summary>
    public async Task<Stream> OpenReadAsync(Guid checkpointId, CancellationToken cancellationToken = default)
    {
        var info = await GetAsync(checkpointId, cancellationToken)
            ?? throw new KeyNotFoundException($"Checkpoint {checkpointId} does not exist or is not published.");
        return await ChunkReadStream.OpenAsync(dataSource, "SELECT data FROM checkpoint_chunks WHERE checkpoint_id = $1 ORDER BY index",
            info.Id, info.Bytes, info.Sha256, $"Checkpoint {info.Id}", cancellationToken);
    }

    /// <summary>Deletes the checkpoints the policy does not keep (their chunks cascade) and reports the bytes freed.</summary>
    public Task<RetentionResult> ApplyRetentionAsync(Guid experimentId, RetentionPolicy policy,
        CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => ApplyRetentionOnceAsync(experimentId, policy, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<RetentionResult> ApplyRetentionOnceAsync(Guid experimentId, RetentionPolicy policy,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            WITH candidates AS (
                SELECT c.id, c.bytes,
                       row_number() OVER (ORDER BY c.step DESC) AS recency,
                       score.value AS score
                FROM checkpoints c
                LEFT JOIN LATERAL (
                    SELECT m.value FROM metrics m
                    WHERE m.experiment_id = c.experiment_id AND m.name = $4 AND m.step <= c.step
                    ORDER BY m.step DESC LIMIT 1) score ON true
                WHERE c.experiment_id = $1 AND c.kind = $2 AND c.published_at IS NOT NULL),
            best AS (
                SELECT id FROM candidates WHERE score IS NOT NULL
                ORDER BY CASE WHEN $5 THEN -score ELSE score END
                LIMIT $6)
            DELETE FROM checkpoints
            WHERE id IN (SELECT id FROM candidates WHERE recency > $3 AND id NOT IN (SELECT id FROM best))
            RETURNING id, bytes
            """);
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = policy.Kind });
        command.Parameters.Add(new() { Value = (long)policy.KeepLast });
        command.Parameters.Add(new() { Value = (object?)policy.Metric ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = policy.HigherIsBetter });
        command.Parameters.Add(new() { Value = (long)(policy.Metric is null ? 0 : policy.KeepBest) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deleted = new List<Guid>();
        long freed = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            deleted.Add(reader.GetGuid(0));
            freed += reader.GetInt64(1);
        }
        return new RetentionResult(deleted, freed);
    }

    private static async Task<CheckpointInfo?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadInfo(reader) : null;
    }

    private static CheckpointInfo ReadInfo(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetGuid(2), reader.GetInt64(3),
        reader.GetString(4), reader.GetInt64(5), reader.IsDBNull(6) ? [] : reader.GetFieldValue<byte[]>(6),
        reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8));
}
