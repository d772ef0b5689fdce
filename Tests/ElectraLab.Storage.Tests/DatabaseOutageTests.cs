using System.Diagnostics;
using ElectraLab.Storage.Auth;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Metrics;
using ElectraLab.Tests.Shared;
using Npgsql;

namespace ElectraLab.Storage.Tests;

/// <summary>
/// PostgreSQL stopped and restarted under Storage's writers, on a server of the test's own: nothing is lost, nothing
/// keeps a stored fault, and the first call after a restart (whose pooled connections the server terminated) works.
/// </summary>
[Trait("Category", "Storage")]
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private OutagePostgresServer? _server;
    private NpgsqlDataSource? _dataSource;
    private readonly string _spill = Path.Combine(Path.GetTempPath(), $"electralab-spill-test-{Guid.NewGuid():N}");

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
        if (Directory.Exists(_spill)) Directory.Delete(_spill, recursive: true);
    }

    [SkippableFact]
    public async Task MetricWriter_KeepsAcceptingThroughAnOutage_SpillsToDisk_AndWritesEveryPointOnceAfterwards()
    {
        Skip.If(_server is null, "PostgreSQL server binaries are not installed");
        var experiment = await AddExperimentAsync();
        var options = new StorageOptions
        {
            ConnectionString = Server.ConnectionString, MetricBufferCapacity = 200, MetricBatchSize = 50, MetricSpillDirectory = _spill,
        };
        var time = DateTimeOffset.UtcNow;
        var slowestWrite = TimeSpan.Zero;
        await using var writer = new MetricWriter(DataSource, options);
        void WriteStep(int step)
        {
            var clock = Stopwatch.StartNew();
            foreach (var name in new[] { "loss", "disc_loss", "mlm_loss" }) writer.Write(new MetricPoint(experiment, name, step, step, null, time));
            if (clock.Elapsed > slowestWrite) slowestWrite = clock.Elapsed;
        }

        for (var step = 0; step < 300; step++) WriteStep(step);
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        await Server.StopServerAsync();
        // Training goes on while the database is away: 700 steps (2,100 points, ten times the memory buffer).
        for (var step = 300; step < 1_000; step++)
        {
            WriteStep(step);
            if (step % 100 == 0) await Task.Delay(300);
        }
        Assert.True(writer.Spilled > 0, "the writer should have spilled points to disk while the database was down");
        Assert.True(slowestWrite < TimeSpan.FromSeconds(1), $"Write blocked for {slowestWrite} during the outage");
        await Server.StartServerAsync();

        // A job resumed from an earlier checkpoint replays some steps: still one row each.
        for (var step = 900; step < 1_000; step++) WriteStep(step);
        await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3_000, await CountAsync("SELECT count(*) FROM metrics WHERE experiment_id = $1", experiment));
        Assert.Equal(3_000, await CountAsync("SELECT count(DISTINCT (name, step)) FROM metrics WHERE experiment_id = $1", experiment));
        Assert.Equal(0, writer.Failed);
        Assert.Empty(Directory.GetFiles(_spill, "*.spill"));
    }

    [SkippableFact]
    public async Task MetricWriter_DisposedDuringAnOutage_DoesNotThrow_AndTheNextProcessWritesWhatWasLeft()
    {
        Skip.If(_server is null, "PostgreSQL server binaries are not installed");
        var experiment = await AddExperimentAsync();
        var options = new StorageOptions
        {
            ConnectionString = Server.ConnectionString, MetricBufferCapacity = 100, MetricBatchSize = 40, MetricSpillDirectory = _spill,
            MetricDrainTimeout = TimeSpan.FromSeconds(2),
        };
        var writer = new MetricWriter(DataSource, options);
        await Server.StopServerAsync();
        for (var step = 0; step < 500; step++) writer.Write(new MetricPoint(experiment, "loss", step, step, null, DateTimeOffset.UtcNow));
        var clock = Stopwatch.StartNew();
        await writer.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"disposal took {clock.Elapsed}");
        var left = Directory.GetFiles(_spill, "*.spill");
        Assert.NotEmpty(left);

        // As if this process had died: the files now belong to a process that does not run.
        foreach (var file in left)
        {
            var name = Path.GetFileName(file);
            File.Move(file, Path.Combine(_spill, "2147480000" + name[name.IndexOf('-')..]));
        }
        await Server.StartServerAsync();
        await using (var next = new MetricWriter(DataSource, options))
        {
            await WaitUntilAsync(async () => await CountAsync("SELECT count(*) FROM metrics WHERE experiment_id = $1", experiment) == 500);
        }
        Assert.Empty(Directory.GetFiles(_spill, "*.spill"));
    }

    [SkippableFact]
    public async Task FirstCallsAfterARestart_Succeed_AndCallsDuringTheOutage_FailFastAsTransient()
    {
        Skip.If(_server is null, "PostgreSQL server binaries are not installed");
        var keys = new ApiKeyStore(DataSource);
        var checkpoints = new CheckpointStore(DataSource, new StorageOptions { ConnectionString = Server.ConnectionString });
        var experiment = await AddExperimentAsync();
        var user = await AddUserAsync();
        var issued = await keys.IssueAsync(user);
        // Fill the pool with idle connections, which the restart below terminates (57P01) or breaks.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => keys.AuthenticateAsync(issued.Key)));

        await Server.StopServerAsync();
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => keys.AuthenticateAsync(issued.Key));
        Assert.True(Resilience.TransientDatabaseErrors.IsTransient(failure), failure.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"a call during the outage took {clock.Elapsed} to fail");
        await Server.StartServerAsync();

        Assert.NotNull(await keys.AuthenticateAsync(issued.Key));
        var bytes = new byte[3_000_000];
        Random.Shared.NextBytes(bytes);
        var written = await checkpoints.WriteAsync(experiment, 10, "training-state", new MemoryStream(bytes));
        Assert.Equal(bytes.Length, written.Bytes);
        Assert.Equal(10, (await checkpoints.GetLatestAsync(experiment))!.Step);
    }

    private async Task<Guid> AddExperimentAsync()
    {
        var team = Guid.NewGuid();
        var experiment = Guid.NewGuid();
        await ExecuteAsync("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, now())", team, $"team-{team:N}");
        await ExecuteAsync("""
            INSERT INTO experiments (id, team_id, name, config, objective, generator_size, model_size, params, seed, status, tags,
                                     train_flops, created_at, updated_at)
            VALUES ($2, $1, 'outage', '{}'::jsonb, 'electra', 0.25, 'small', 1, 1, 'pretraining', ARRAY[]::text[], 0, now(), now())
            """, team, experiment);
        return experiment;
    }

    private async Task<Guid> AddUserAsync()
    {
        var team = Guid.NewGuid();
        var user = Guid.NewGuid();
        await ExecuteAsync("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, now())", team, $"team-{team:N}");
        await ExecuteAsync("INSERT INTO users (id, team_id, name, email, created_at) VALUES ($2, $1, 'ada', 'ada@example.org', now())", team, user);
        return user;
    }

    private async Task ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters) command.Parameters.Add(new() { Value = parameter });
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql, Guid experiment)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new() { Value = experiment });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 60 s");
            await Task.Delay(200);
        }
    }
}
