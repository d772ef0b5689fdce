using System.Diagnostics;
using ElectraLab.Storage.Logs;
using ElectraLab.Tests.Shared;
using Npgsql;

namespace ElectraLab.Storage.Tests;

/// <summary>
/// Job attempt logs in PostgreSQL, on a server of the test's own (so it can be stopped): bounded per attempt, long lines
/// cut, retried batches written once, and an outage that costs the caller nothing: Append never blocks or throws, the
/// lines wait, and they are written once PostgreSQL is back.
/// </summary>
[Trait("Category", "Storage")]
public sealed class JobLogWriterTests : IAsyncLifetime
{
    private OutagePostgresServer? _server;
    private NpgsqlDataSource? _dataSource;

    private OutagePostgresServer Server => _server!;
    private NpgsqlDataSource DataSource => _dataSource!;

    public async Task InitializeAsync()
    {
        var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (OutagePostgresServer.Binaries() is null && !underCi) return;
        _server = await OutagePostgresServer.StartAsync();
        _dataSource = StorageDataSource.Create(_server.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [SkippableFact]
    public async Task Writer_KeepsTheLastLinesOfEachAttempt_CutsLongLines_AndWritesARepeatedLineOnce()
    {
        Skip.If(_server is null, "PostgreSQL server binaries are not installed");
        var experiment = await AddExperimentAsync();
        var (job, first, second) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var writer = new JobLogWriter(DataSource);
        var total = JobLogWriter.MaxLinesPerAttempt + 200;
        for (var seq = 1; seq <= total; seq++) writer.Append(Entry(experiment, job, first, seq, $"line {seq}"));
        writer.Append(Entry(experiment, job, second, 1, new string('x', JobLogWriter.MaxLineLength + 500)));
        writer.Append(Entry(experiment, job, second, 1, "the same (dispatch, seq) again: a replayed batch"));
        Assert.True(await writer.FlushAsync());

        Assert.Equal(JobLogWriter.MaxLinesPerAttempt, await ScalarAsync<long>("SELECT count(*) FROM job_log_lines WHERE dispatch_id = $1", first));
        Assert.Equal(201L, await ScalarAsync<long>("SELECT min(seq) FROM job_log_lines WHERE dispatch_id = $1", first));
        Assert.Equal($"line {total}", await ScalarAsync<string>("SELECT line FROM job_log_lines WHERE dispatch_id = $1 ORDER BY seq DESC LIMIT 1", first));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM job_log_lines WHERE dispatch_id = $1", second));
        Assert.Equal(JobLogWriter.MaxLineLength + 1, await ScalarAsync<int>("SELECT length(line) FROM job_log_lines WHERE dispatch_id = $1", second));
        Assert.Equal(0, writer.Buffered);
        Assert.Equal(0, writer.Dropped);
    }

    [SkippableFact]
    public async Task Writer_TakesLinesThroughAnOutageWithoutBlocking_AndWritesThemWhenPostgresIsBack()
    {
        Skip.If(_server is null, "PostgreSQL server binaries are not installed");
        var experiment = await AddExperimentAsync();
        var (job, dispatch) = (Guid.NewGuid(), Guid.NewGuid());
        await using var writer = new JobLogWriter(DataSource);
        writer.Append(Entry(experiment, job, dispatch, 1, "before the outage"));
        Assert.True(await writer.FlushAsync());

        await Server.StopServerAsync();
        var slowest = TimeSpan.Zero;
        for (var seq = 2; seq <= 101; seq++)
        {
            var clock = Stopwatch.StartNew();
            writer.Append(Entry(experiment, job, dispatch, seq, $"during the outage {seq}"));
            if (clock.Elapsed > slowest) slowest = clock.Elapsed;
        }
        Assert.False(await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(100, writer.Buffered);
        Assert.True(writer.FailedBatches > 0);
        Assert.True(slowest < TimeSpan.FromMilliseconds(50), $"Append took {slowest.TotalMilliseconds:F1} ms during the outage");

        await Server.StartServerAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // The writer's own loop writes them once the server is back; nobody has to flush.
        while (writer.Buffered > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(0, writer.Buffered);
        Assert.Equal(101L, await ScalarAsync<long>("SELECT count(*) FROM job_log_lines WHERE dispatch_id = $1", dispatch));
        Assert.Equal(0, writer.Dropped);
    }

    private static JobLogEntry Entry(Guid experiment, Guid job, Guid dispatch, long seq, string line) =>
        new(experiment, job, dispatch, seq, DateTimeOffset.UtcNow, "stdout", line);

    private async Task<Guid> AddExperimentAsync()
    {
        var team = Guid.NewGuid();
        var experiment = Guid.NewGuid();
        await using var insert = DataSource.CreateCommand("""
            WITH t AS (INSERT INTO teams (id, name, created_at) VALUES ($1, $3, now()))
            INSERT INTO experiments (id, team_id, name, config, objective, generator_size, model_size, params, seed, status, tags,
                                     train_flops, created_at, updated_at)
            VALUES ($2, $1, 'logs', '{}'::jsonb, 'electra', 0.25, 'small', 1, 1, 'pretraining', ARRAY[]::text[], 0, now(), now())
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = team });
        insert.Parameters.Add(new NpgsqlParameter { Value = experiment });
        insert.Parameters.Add(new NpgsqlParameter { Value = $"team-{team:N}" });
        await insert.ExecuteNonQueryAsync();
        return experiment;
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
