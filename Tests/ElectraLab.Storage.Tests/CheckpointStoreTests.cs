using System.Security.Cryptography;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Metrics;

namespace ElectraLab.Storage.Tests;

[Trait("Category", "Storage")]
public sealed class CheckpointStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const int ChunkBytes = 64 * 1024;

    private CheckpointStore Store => new(database.DataSource,
        new StorageOptions { ConnectionString = database.ConnectionString, CheckpointChunkBytes = ChunkBytes });

    [SkippableFact]
    public async Task WriteThenRead_IsByteIdentical()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        var content = RandomBytes(10 * ChunkBytes + 12_345, seed: 1);

        var info = await Store.WriteAsync(experiment.Id, 1_000, Entities.Checkpoint.TrainingState, new MemoryStream(content));
        await using var stream = await Store.OpenReadAsync(info.Id);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(content.Length, info.Bytes);
        Assert.Equal(11, info.ChunkCount);
        Assert.Equal(SHA256.HashData(content), info.Sha256);
        Assert.Equal(content, copy.ToArray());
    }

    [SkippableFact]
    public async Task Read_OfACorruptedChunk_Throws()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        var info = await Store.WriteAsync(experiment.Id, 5, Entities.Checkpoint.TrainingState,
            new MemoryStream(RandomBytes(3 * ChunkBytes, seed: 2)));
        await using (var corrupt = database.DataSource.CreateCommand(
            "UPDATE checkpoint_chunks SET data = set_byte(data, 100, (get_byte(data, 100) + 1) % 256) " +
            "WHERE checkpoint_id = $1 AND index = 1"))
        {
            corrupt.Parameters.Add(new() { Value = info.Id });
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }

        await using var stream = await Store.OpenReadAsync(info.Id);
        await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null));
    }

    [SkippableFact]
    public async Task Write_OfTheSameStepAgain_ReplacesTheEarlierCheckpoint()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        await Store.WriteAsync(experiment.Id, 7, Entities.Checkpoint.TrainingState, new MemoryStream(RandomBytes(1000, 3)));
        var second = await Store.WriteAsync(experiment.Id, 7, Entities.Checkpoint.TrainingState, new MemoryStream(RandomBytes(2000, 4)));

        var all = await Store.ListAsync(experiment.Id);

        Assert.Equal(second.Id, Assert.Single(all).Id);
        Assert.Equal(second.Id, (await Store.GetLatestAsync(experiment.Id))!.Id);
    }

    [SkippableFact]
    public async Task Retention_KeepsLastAndBest_DeletesTheRestAndReportsBytes()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        var written = new List<CheckpointInfo>();
        for (var i = 1; i <= 6; i++)
        {
            written.Add(await Store.WriteAsync(experiment.Id, i * 100, Entities.Checkpoint.TrainingState,
                new MemoryStream(RandomBytes(1_000 * i + ChunkBytes, seed: i))));
        }
        // Lowest eval loss at step 200, then 100: keep best 1 (step 200) and last 2 (steps 500, 600).
        var options = new StorageOptions { ConnectionString = database.ConnectionString };
        await using (var writer = new MetricWriter(database.DataSource, options))
        {
            double[] losses = [0.5, 0.1, 0.9, 0.8, 0.7, 0.6];
            for (var i = 0; i < losses.Length; i++)
            {
                writer.Write(new MetricPoint(experiment.Id, "eval_loss", (i + 1) * 100, losses[i], null, DateTimeOffset.UtcNow));
            }
        }

        var result = await Store.ApplyRetentionAsync(experiment.Id,
            new RetentionPolicy(KeepLast: 2, KeepBest: 1, Metric: "eval_loss", HigherIsBetter: false));

        var expectedDeleted = written.Where(c => c.Step is 100 or 300 or 400).ToList();
        Assert.Equal(expectedDeleted.Select(c => c.Id).Order(), result.Deleted.Order());
        Assert.Equal(expectedDeleted.Sum(c => c.Bytes), result.BytesFreed);
        Assert.Equal([200L, 500L, 600L], (await Store.ListAsync(experiment.Id)).Select(c => c.Step));
        await using var chunks = database.DataSource.CreateCommand(
            "SELECT count(*) FROM checkpoint_chunks WHERE checkpoint_id = ANY($1)");
        chunks.Parameters.Add(new() { Value = result.Deleted.ToArray() });
        Assert.Equal(0L, await chunks.ExecuteScalarAsync());
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
