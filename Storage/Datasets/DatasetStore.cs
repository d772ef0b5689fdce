using ElectraLab.Storage.Chunks;
using ElectraLab.Storage.Resilience;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Datasets;

/// <summary>One stored version of a team's dataset.</summary>
public sealed record DatasetInfo(Guid Id, Guid TeamId, string Name, string Sha256, long Bytes, long Examples, long Tokens,
    int MaxSeqLength, bool LowerCase, string VocabSha256, int VocabSize, DateTimeOffset CreatedAt)
{
    /// <summary>"NAME@sha256": how a spec pins exactly this version.</summary>
    public string Reference => $"{Name}@{Sha256}";
}

/// <summary>
/// Datasets as shared artifacts: each version of a team's named dataset is its canonical tar (<see cref="DatasetPackage"/>)
/// in chunked bytea rows, content-addressed by SHA-256, written in one transaction and verified on every read, so any
/// silo can fetch the exact data an experiment was pinned to.
/// </summary>
public sealed class DatasetStore(NpgsqlDataSource dataSource, StorageOptions options)
{
    private const string Columns =
        "id, team_id, name, sha256, bytes, examples, tokens, max_seq_length, lower_case, vocab_sha256, vocab_size, created_at";

    /// <summary>
    /// Stores a canonical dataset tar under (team, name). The content's SHA-256 must equal <paramref name="sha256"/> (it was
    /// computed while the tar was packed); pushing a version that is already there stores nothing and answers it with
    /// Created = false. <paramref name="content"/> must be seekable, so a retry after a dropped connection starts over.
    /// </summary>
    public Task<(DatasetInfo Info, bool Created)> StoreAsync(Guid teamId, string name, string sha256, DatasetSummary summary,
        Stream content, Guid? createdBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var start = content.Position;
        return DatabaseRetry.RunAsync(ct =>
        {
            content.Position = start;
            return StoreOnceAsync(teamId, name, sha256, summary, content, createdBy, ct);
        }, RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);
    }

    private async Task<(DatasetInfo, bool)> StoreOnceAsync(Guid teamId, string name, string sha256, DatasetSummary summary,
        Stream content, Guid? createdBy, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two pushes of one version at once: the second waits here for the first, then finds it.
        await using (var exclusive = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            exclusive.Parameters.Add(new() { Value = $"dataset:{teamId}:{name}:{sha256}" });
            await exclusive.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var existing = new NpgsqlCommand(
            $"SELECT {Columns} FROM datasets WHERE team_id = $1 AND name = $2 AND sha256 = $3 AND published_at IS NOT NULL",
            connection, transaction))
        {
            existing.Parameters.Add(new() { Value = teamId });
            existing.Parameters.Add(new() { Value = name });
            existing.Parameters.Add(new() { Value = sha256 });
            if (await ReadSingleAsync(existing, cancellationToken) is { } found) return (found, false);
        }

        var id = Guid.CreateVersion7();
        var chunkSize = options.CheckpointChunkBytes;
        await using (var header = new NpgsqlCommand("""
            INSERT INTO datasets (id, team_id, name, sha256, bytes, chunk_size, chunk_count, examples, tokens, max_seq_length,
                                  lower_case, vocab_sha256, vocab_size, created_by, created_at)
            VALUES ($1, $2, $3, $4, 0, $5, 0, $6, $7, $8, $9, $10, $11, $12, now())
            """, connection, transaction))
        {
            header.Parameters.Add(new() { Value = id });
            header.Parameters.Add(new() { Value = teamId });
            header.Parameters.Add(new() { Value = name });
            header.Parameters.Add(new() { Value = sha256 });
            header.Parameters.Add(new() { Value = chunkSize });
            header.Parameters.Add(new() { Value = summary.Examples });
            header.Parameters.Add(new() { Value = summary.Tokens });
            header.Parameters.Add(new() { Value = summary.MaxSeqLength });
            header.Parameters.Add(new() { Value = summary.LowerCase });
            header.Parameters.Add(new() { Value = summary.VocabSha256 });
            header.Parameters.Add(new() { Value = summary.VocabSize });
            header.Parameters.Add(new() { Value = (object?)createdBy ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            await header.ExecuteNonQueryAsync(cancellationToken);
        }
        var stored = await ChunkWriter.CopyAsync(connection, "dataset_chunks (dataset_id, index, data)", id, content, chunkSize, cancellationToken);
        var actual = Convert.ToHexStringLower(stored.Sha256);
        if (actual != sha256) throw new InvalidDataException($"the dataset's content has SHA-256 {actual}, not the {sha256} it was packed with");

        DatasetInfo info;
        await using (var publish = new NpgsqlCommand(
            $"UPDATE datasets SET bytes = $2, chunk_count = $3, published_at = now() WHERE id = $1 RETURNING {Columns}", connection, transaction))
        {
            publish.Parameters.Add(new() { Value = id });
            publish.Parameters.Add(new() { Value = stored.Bytes });
            publish.Parameters.Add(new() { Value = stored.Chunks });
            info = (await ReadSingleAsync(publish, cancellationToken))!;
        }
        await transaction.CommitAsync(cancellationToken);
        return (info, true);
    }

    /// <summary>A team's datasets, newest version first within each name; <paramref name="name"/> narrows to one.</summary>
    public Task<IReadOnlyList<DatasetInfo>> ListAsync(Guid teamId, string? name = null, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT {Columns} FROM datasets WHERE team_id = $1 AND ($2::text IS NULL OR name = $2) AND published_at IS NOT NULL " +
                "ORDER BY name, created_at DESC");
            command.Parameters.Add(new() { Value = teamId });
            command.Parameters.Add(new() { Value = (object?)name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            return (IReadOnlyList<DatasetInfo>)await ReadAllAsync(command, ct);
        }, RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    /// <summary>
    /// What "NAME" (<paramref name="shaPrefix"/> null: the newest version) or "NAME@sha-prefix" means for a team. Null when
    /// nothing matches; a prefix that matches two versions is an error naming both.
    /// </summary>
    public async Task<DatasetInfo?> ResolveAsync(string teamName, string name, string? shaPrefix, CancellationToken cancellationToken = default)
    {
        var prefix = shaPrefix;
        var matches = await DatabaseRetry.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT {Columns} FROM datasets WHERE team_id = (SELECT id FROM teams WHERE name = $1) AND name = $2 " +
                "AND starts_with(sha256, $3) AND published_at IS NOT NULL ORDER BY created_at DESC LIMIT 2");
            command.Parameters.Add(new() { Value = teamName });
            command.Parameters.Add(new() { Value = name });
            command.Parameters.Add(new() { Value = prefix ?? "" });
            return await ReadAllAsync(command, ct);
        }, RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);
        if (prefix is not null && matches.Count > 1)
            throw new ArgumentException($"'{name}@{prefix}' matches more than one version ({matches[0].Sha256[..12]}, {matches[1].Sha256[..12]}): give more of the hash");
        return matches.FirstOrDefault();
    }

    /// <summary>The stored version with this exact hash (any name: equal hashes are equal content).</summary>
    public Task<DatasetInfo?> FindAsync(string sha256, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                $"SELECT {Columns} FROM datasets WHERE sha256 = $1 AND published_at IS NOT NULL ORDER BY created_at LIMIT 1");
            command.Parameters.Add(new() { Value = sha256 });
            return await ReadSingleAsync(command, ct);
        }, RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    /// <summary>Streams a version's canonical tar; the stream checks length and SHA-256 at its end.</summary>
    public Task<Stream> OpenReadAsync(DatasetInfo dataset, CancellationToken cancellationToken = default) =>
        ChunkReadStream.OpenAsync(dataSource, "SELECT data FROM dataset_chunks WHERE dataset_id = $1 ORDER BY index",
            dataset.Id, dataset.Bytes, Convert.FromHexString(dataset.Sha256), $"Dataset {dataset.Reference}", cancellationToken);

    /// <summary>Records on the experiment which data it trains on (each attempt writes the same values again).</summary>
    public Task RecordExperimentDataAsync(Guid experimentId, string datasetName, string datasetSha256, string vocabSha256, int vocabSize,
        CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(
                "UPDATE experiments SET dataset_name = $2, dataset_sha256 = $3, vocab_sha256 = $4, vocab_size = $5 WHERE id = $1");
            command.Parameters.Add(new() { Value = experimentId });
            command.Parameters.Add(new() { Value = datasetName });
            command.Parameters.Add(new() { Value = datasetSha256 });
            command.Parameters.Add(new() { Value = vocabSha256 });
            command.Parameters.Add(new() { Value = vocabSize });
            await command.ExecuteNonQueryAsync(ct);
        }, RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private static async Task<DatasetInfo?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();

    private static async Task<List<DatasetInfo>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<DatasetInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new DatasetInfo(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetInt64(6), reader.GetInt32(7), reader.GetBoolean(8), reader.GetString(9), reader.GetInt32(10),
                reader.GetFieldValue<DateTimeOffset>(11)));
        }
        return list;
    }
}
