using ElectraLab.Storage.Metrics;

namespace ElectraLab.Storage.Tests;

[Trait("Category", "Storage")]
public sealed class MetricWriterTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task ReplayedBatches_AreWrittenOnce()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        var options = new StorageOptions { ConnectionString = database.ConnectionString, MetricBatchSize = 100 };
        var time = DateTimeOffset.UtcNow;

        await using (var writer = new MetricWriter(database.DataSource, options))
        {
            for (var step = 0; step < 1_000; step++)
            {
                writer.Write(new MetricPoint(experiment.Id, "loss", step, step * 0.5, null, time));
            }
            await writer.FlushAsync().WaitAsync(Timeout);
            // A job resumed from its step-600 checkpoint replays steps 600..999 with different values.
            for (var step = 600; step < 1_000; step++)
            {
                writer.Write(new MetricPoint(experiment.Id, "loss", step, -1, null, time));
            }
            await writer.FlushAsync().WaitAsync(Timeout);
            Assert.Equal(1_000, writer.Inserted);
        }

        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*), count(*) FILTER (WHERE value < 0) FROM metrics WHERE experiment_id = $1 AND name = 'loss'");
        command.Parameters.Add(new() { Value = experiment.Id });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(1_000, reader.GetInt64(0));
        Assert.Equal(0, reader.GetInt64(1));
    }

    [SkippableFact]
    public async Task DuplicatesInsideOneBatch_AreWrittenOnce_WithTheirRollup()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        var time = DateTimeOffset.UtcNow;
        var points = Enumerable.Range(0, 10).Select(s => new MetricPoint(experiment.Id, "acc", s, s, null, time))
            .Concat(Enumerable.Range(5, 10).Select(s => new MetricPoint(experiment.Id, "acc", s, s, null, time)))
            .ToList();

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var inserted = await MetricBatchWriter.WriteAsync(connection, points);
        var replayed = await MetricBatchWriter.WriteAsync(connection, points);

        Assert.Equal(15, inserted);
        Assert.Equal(0, replayed);
        await using var command = database.DataSource.CreateCommand(
            "SELECT points, first_step, last_step, min_value, max_value, last_value FROM metric_rollups " +
            "WHERE experiment_id = $1 AND name = 'acc'");
        command.Parameters.Add(new() { Value = experiment.Id });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(15, reader.GetInt64(0));
        Assert.Equal(0, reader.GetInt64(1));
        Assert.Equal(14, reader.GetInt64(2));
        Assert.Equal(0, reader.GetDouble(3));
        Assert.Equal(14, reader.GetDouble(4));
        Assert.Equal(14, reader.GetDouble(5));
        Assert.False(await reader.ReadAsync());
    }

    [SkippableFact]
    public async Task Dispose_FlushesEverythingQueued_EvenThroughAFullBuffer()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        var options = new StorageOptions
        {
            ConnectionString = database.ConnectionString, MetricBufferCapacity = 64, MetricBatchSize = 16,
        };

        await using (var writer = new MetricWriter(database.DataSource, options))
        {
            for (var step = 0; step < 5_000; step++)
            {
                writer.Write(new MetricPoint(experiment.Id, "disc_loss", step, step, null, DateTimeOffset.UtcNow));
            }
        }

        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*), max(step) FROM metrics WHERE experiment_id = $1");
        command.Parameters.Add(new() { Value = experiment.Id });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(5_000, reader.GetInt64(0));
        Assert.Equal(4_999, reader.GetInt64(1));
    }
}
