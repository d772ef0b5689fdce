using System.Diagnostics;
using ElectraLab.Storage;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;
using Npgsql;
using NpgsqlTypes;
using ElectraLab.Storage.Entities;
using LeaderboardBenchmarks = ElectraLab.Storage.Results.Benchmarks;

namespace ElectraLab.Benchmarks.Storage;

public sealed record BenchmarkRow(string Measurement, string Value, string Target, string Note);

/// <summary>
/// <c>electralab bench storage</c>: runs in a scratch database it creates on the given server and drops afterwards.
/// Each rate is printed next to its target; checkpoint rates next to a raw binary COPY of the same bytes.
/// </summary>
public sealed class StorageBenchmark(string serverConnectionString, BenchmarkOptions options, Action<string> progress)
{
    /// <summary>Only the query latencies, on a database an earlier <c>--keep</c> run left behind.</summary>
    public async Task<IReadOnlyList<BenchmarkRow>> RunQueriesAsync(string databaseName, CancellationToken cancellationToken = default)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString)
        {
            Database = databaseName, CommandTimeout = 0,
        }.ConnectionString;
        await using var dataSource = StorageDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT t.id, (SELECT count(*) FROM experiments e WHERE e.team_id = t.id) FROM teams t " +
            "WHERE t.name LIKE 'bench-team-%'");
        var teams = new List<Guid>();
        long experiments = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                teams.Add(reader.GetGuid(0));
                experiments += reader.GetInt64(1);
            }
        }
        if (teams.Count == 0)
        {
            throw new ArgumentException($"Database {databaseName} holds no benchmark dataset.");
        }
        return await MeasureQueriesAsync(dataSource, teams.ToArray(), $"{experiments:N0} experiments, {teams.Count} teams (reused)",
            cancellationToken);
    }

    public async Task<IReadOnlyList<BenchmarkRow>> RunAsync(bool keepDatabase, CancellationToken cancellationToken = default)
    {
        var databaseName = $"electralab_bench_{DateTime.UtcNow:yyyyMMddHHmmss}";
        await AdminAsync($"CREATE DATABASE {databaseName}", cancellationToken);
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString)
            {
                Database = databaseName, CommandTimeout = 0,
            }.ConnectionString;
            await using var dataSource = StorageDataSource.Create(connectionString);
            await new StorageMigrator(dataSource).MigrateAsync(cancellationToken);
            var storage = new StorageOptions { ConnectionString = connectionString };
            var rows = new List<BenchmarkRow>();
            rows.Add(await IngestAsync(dataSource, storage, cancellationToken));
            rows.AddRange(await CheckpointsAsync(dataSource, storage, cancellationToken));
            rows.AddRange(await QueriesAsync(dataSource, cancellationToken));
            return rows;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (!keepDatabase)
            {
                await AdminAsync($"DROP DATABASE IF EXISTS {databaseName} WITH (FORCE)", CancellationToken.None);
            }
            else
            {
                progress($"kept database {databaseName}");
            }
        }
    }

    private async Task<BenchmarkRow> IngestAsync(NpgsqlDataSource dataSource, StorageOptions storage, CancellationToken cancellationToken)
    {
        progress($"metric ingestion: {options.IngestPoints:N0} points through MetricWriter");
        var team = Guid.NewGuid();
        var experiments = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToArray();
        await using (var command = dataSource.CreateCommand("""
            INSERT INTO teams (id, name, created_at) VALUES ($1, 'ingest', now());
            """))
        {
            command.Parameters.Add(new() { Value = team });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var command = dataSource.CreateCommand("""
            INSERT INTO experiments (id, team_id, name, config, objective, generator_size, model_size, params, seed, status,
                                     tags, train_flops, created_at, updated_at)
            SELECT e, $2, 'ingest', '{}', 'electra', 0.25, 'small', 0, 0, 'running', '{}', 0, now(), now()
            FROM unnest($1::uuid[]) AS e
            """))
        {
            command.Parameters.Add(new() { Value = experiments });
            command.Parameters.Add(new() { Value = team });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        string[] names = ["loss", "gen_loss", "disc_loss", "disc_accuracy"];
        var now = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await using (var writer = new MetricWriter(dataSource, storage))
        {
            var perSeries = options.IngestPoints / (experiments.Length * names.Length);
            for (var step = 0; step < perSeries; step++)
            {
                foreach (var experiment in experiments)
                {
                    foreach (var name in names)
                    {
                        writer.Write(new MetricPoint(experiment, name, step, step * 1e-3, null, now));
                    }
                }
            }
            await writer.FlushAsync(cancellationToken);
        }
        clock.Stop();
        var rate = options.IngestPoints / clock.Elapsed.TotalSeconds;
        return new BenchmarkRow("metric ingestion", $"{rate:N0} points/s", ">= 100,000 points/s",
            $"{options.IngestPoints:N0} points, {storage.MetricFlushers} flushers, COPY then insert-if-absent + rollups");
    }

    private async Task<IEnumerable<BenchmarkRow>> CheckpointsAsync(NpgsqlDataSource dataSource, StorageOptions storage,
        CancellationToken cancellationToken)
    {
        var bytes = options.CheckpointMegabytes * 1024 * 1024;
        progress($"checkpoints: {options.CheckpointMegabytes} MB, chunks of {storage.CheckpointChunkBytes / 1024 / 1024} MB, best of 3");
        var content = new byte[bytes];
        new Random(42).NextBytes(content);
        var experiment = await SingleExperimentAsync(dataSource, cancellationToken);
        await using (var create = dataSource.CreateCommand(
            "CREATE TABLE bench_raw_chunks (id uuid, index integer, data bytea); " +
            "ALTER TABLE bench_raw_chunks ALTER COLUMN data SET STORAGE EXTERNAL"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        var store = new CheckpointStore(dataSource, storage);
        double rawWrite = double.MaxValue, rawRead = double.MaxValue, write = double.MaxValue, read = double.MaxValue;
        // Each round writes a new step, so no round pays for deleting the previous one (the raw side truncates).
        for (var round = 0; round < 3; round++)
        {
            rawWrite = Math.Min(rawWrite, await TimeAsync(() => RawCopyInAsync(dataSource, content, storage.CheckpointChunkBytes, cancellationToken)));
            rawRead = Math.Min(rawRead, await TimeAsync(() => RawCopyOutAsync(dataSource, cancellationToken)));
            CheckpointInfo? info = null;
            write = Math.Min(write, await TimeAsync(async () =>
                info = await store.WriteAsync(experiment, 1000 + round, Checkpoint.TrainingState, new MemoryStream(content, false),
                    cancellationToken: cancellationToken)));
            read = Math.Min(read, await TimeAsync(async () =>
            {
                await using var stream = await store.OpenReadAsync(info!.Id, cancellationToken);
                await stream.CopyToAsync(Stream.Null, 1024 * 1024, cancellationToken);
            }));
        }
        var mb = bytes / 1024.0 / 1024.0;
        return
        [
            new("checkpoint write", $"{mb / write:N0} MB/s", ">= 70% of raw COPY",
                $"raw COPY in {mb / rawWrite:N0} MB/s -> {rawWrite / write:P0}; sha256 while streaming, one transaction"),
            new("checkpoint read", $"{mb / read:N0} MB/s", ">= 70% of raw COPY",
                $"raw COPY out {mb / rawRead:N0} MB/s -> {rawRead / read:P0}; sha256 verified at end"),
        ];
    }

    private async Task<IReadOnlyList<BenchmarkRow>> QueriesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        progress($"generating {options.Experiments:N0} experiments and {options.MetricPoints:N0} metric points (scale {options.Scale})");
        var generation = Stopwatch.StartNew();
        var teams = await BenchmarkDataset.GenerateAsync(dataSource, options, progress, cancellationToken);
        progress($"generated in {generation.Elapsed.TotalSeconds:N0} s");
        return await MeasureQueriesAsync(dataSource, teams,
            $"{options.Experiments:N0} experiments, {options.MetricPoints:N0} points, {teams.Length} teams", cancellationToken);
    }

    private async Task<IReadOnlyList<BenchmarkRow>> MeasureQueriesAsync(NpgsqlDataSource dataSource, Guid[] teams, string size,
        CancellationToken cancellationToken)
    {
        progress($"running {options.Queries} queries of each kind");
        var random = new Random(1);
        var leaderboard = new LeaderboardQueries(dataSource);
        var history = new ExperimentHistoryQueries(dataSource);
        var series = new MetricSeriesQueries(dataSource);
        string[] sorts = ["score", "params", "train_flops", "cola", "created_at"];
        string?[] objectives = [null, "electra", "mlm"];
        string?[] searches = [null, null, "warmup", "ablation", "exp-42", "lr3"];

        var leaderboardLatency = await MeasureAsync(() => leaderboard.GetAsync(new LeaderboardQuery(
            teams[random.Next(teams.Length)], LeaderboardBenchmarks.Glue,
            Tag: random.Next(4) == 0 ? "baseline" : null, Objective: objectives[random.Next(objectives.Length)],
            SortBy: sorts[random.Next(sorts.Length)], Offset: random.Next(5) * 50, Limit: 50), cancellationToken), cancellationToken);
        var historyLatency = await MeasureAsync(() => history.GetAsync(new ExperimentHistoryQuery(
            teams[random.Next(teams.Length)], Search: searches[random.Next(searches.Length)],
            Status: random.Next(3) == 0 ? "completed" : null, Offset: random.Next(5) * 50, Limit: 50), cancellationToken), cancellationToken);

        var (longTeam, longExperiment) = await LongCurveAsync(dataSource, cancellationToken);
        var seriesLatency = await MeasureAsync(() => series.GetAsync(longTeam, longExperiment, "loss", 500,
            cancellationToken: cancellationToken), cancellationToken, Math.Max(10, options.Queries / 10));

        return
        [
            new("leaderboard query", $"p50 {leaderboardLatency.P50Ms:N1} ms, p95 {leaderboardLatency.P95Ms:N1} ms", "p95 < 50 ms",
                $"GLUE, filters/sorts/pages mixed; {size}"),
            new("history query", $"p50 {historyLatency.P50Ms:N1} ms, p95 {historyLatency.P95Ms:N1} ms", "p95 < 50 ms",
                $"search/status/paging mixed; {size}"),
            new("metric series", $"p50 {seriesLatency.P50Ms:N1} ms, p95 {seriesLatency.P95Ms:N1} ms", "(no target)",
                $"{BenchmarkDataset.LongCurveSteps:N0}-step curve -> 500 buckets"),
        ];
    }

    private static async Task<Guid> SingleExperimentAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM experiments LIMIT 1");
        return (Guid)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<(Guid Team, Guid Experiment)> LongCurveAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT e.team_id, e.id FROM experiments e WHERE e.id = (SELECT experiment_id FROM metrics WHERE name = 'loss' " +
            $"AND step = {BenchmarkDataset.LongCurveSteps - 1} LIMIT 1)");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetGuid(0), reader.GetGuid(1));
    }

    private static async Task RawCopyInAsync(NpgsqlDataSource dataSource, byte[] content, int chunkBytes, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var truncate = new NpgsqlCommand("TRUNCATE bench_raw_chunks", connection))
        {
            await truncate.ExecuteNonQueryAsync(cancellationToken);
        }
        var id = Guid.NewGuid();
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY bench_raw_chunks (id, index, data) FROM STDIN (FORMAT BINARY)", cancellationToken);
        for (int offset = 0, index = 0; offset < content.Length; offset += chunkBytes, index++)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(index, NpgsqlDbType.Integer, cancellationToken);
            await importer.WriteAsync(new ArraySegment<byte>(content, offset, Math.Min(chunkBytes, content.Length - offset)),
                NpgsqlDbType.Bytea, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task RawCopyOutAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var stream = await connection.BeginRawBinaryCopyAsync(
            "COPY (SELECT data FROM bench_raw_chunks ORDER BY index) TO STDOUT (FORMAT BINARY)", cancellationToken);
        await stream.CopyToAsync(Stream.Null, 1024 * 1024, cancellationToken);
    }

    private async Task<LatencyStats> MeasureAsync<T>(Func<Task<T>> query, CancellationToken cancellationToken, int? count = null)
    {
        for (var i = 0; i < 5; i++)
        {
            await query();
        }
        var millis = new List<double>();
        for (var i = 0; i < (count ?? options.Queries); i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            await query();
            millis.Add(clock.Elapsed.TotalMilliseconds);
        }
        return LatencyStats.From(millis);
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalSeconds;
    }

    private async Task AdminAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
