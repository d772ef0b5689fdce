using System.Text.Json;
using ElectraLab.Electra.Data.Pretraining;

namespace ElectraLab.Tests.Data;

[Trait("Category", "Unit")]
public sealed class BatchStreamTests
{
    private static readonly Lazy<(string Directory, PretrainingDataset Dataset)> Built =
        new(() => DatasetBuilderTests.BuildNumbered("stream", files: 3, shardSize: 4));

    private static string Directory => Built.Value.Directory;

    [Fact]
    public void Next_OneEpoch_VisitsEveryExampleOnce()
    {
        using var stream = new PretrainingBatchStream(Directory, batchSize: 1, seed: 3);
        var seen = new List<string>();
        for (long i = 0; i < stream.ExampleCount; i++) seen.Add(Row(stream.Next(), 0));
        Assert.Equal(new DataPosition(0, stream.ExampleCount), stream.Position);
        Assert.Equal(AllExamples().Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        // A shuffle, not file order.
        Assert.NotEqual(AllExamples(), seen);
        stream.Next();
        Assert.Equal(new DataPosition(1, 1), stream.Position);
    }

    [Fact]
    public void Batches_AreZeroPaddedRowMajor()
    {
        using var stream = new PretrainingBatchStream(Directory, batchSize: 5, seed: 1);
        var batch = stream.Next();
        Assert.Equal((5, 16), (batch.BatchSize, batch.SeqLength));
        Assert.Equal(80, batch.InputIds.Length);
        for (int r = 0; r < 5; r++)
        {
            int length = (int)batch.InputMask.AsSpan(r * 16, 16).ToArray().Sum();
            Assert.Equal(2, batch.InputIds[r * 16]);
            Assert.Equal(3, batch.InputIds[r * 16 + length - 1]);
            for (int t = length; t < 16; t++) Assert.Equal((0L, 0L), (batch.InputIds[r * 16 + t], batch.SegmentIds[r * 16 + t]));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]   // crosses the first epoch's end within the replay
    [InlineData(13)]
    public void Resume_AtPosition_YieldsSameBatches(int skip)
    {
        using var original = new PretrainingBatchStream(Directory, batchSize: 7, seed: 11);
        for (int i = 0; i < skip; i++) original.Next();
        var position = original.Position;
        var json = JsonSerializer.Serialize(position);
        var expected = Enumerable.Range(0, 12).Select(_ => Render(original.Next())).ToList();

        using var resumed = new PretrainingBatchStream(Directory, batchSize: 7, seed: 11, JsonSerializer.Deserialize<DataPosition>(json));
        Assert.Equal(position, resumed.Position);
        Assert.Equal(expected, Enumerable.Range(0, 12).Select(_ => Render(resumed.Next())));
        Assert.Equal(original.Position, resumed.Position);
    }

    [Fact]
    public void Resume_AtEpochBoundary_StartsNextEpoch()
    {
        using var original = new PretrainingBatchStream(Directory, batchSize: 1, seed: 2);
        var count = original.ExampleCount;
        for (long i = 0; i < count; i++) original.Next();
        using var resumed = new PretrainingBatchStream(Directory, 1, 2, new DataPosition(0, count));
        using var fresh = new PretrainingBatchStream(Directory, 1, 2, new DataPosition(1, 0));
        for (int i = 0; i < 5; i++)
        {
            var expected = Render(original.Next());
            Assert.Equal(expected, Render(resumed.Next()));
            Assert.Equal(expected, Render(fresh.Next()));
        }
    }

    [Fact]
    public void Epochs_AreShuffledDifferently_AndSeedMatters()
    {
        string Epoch(int seed, int epoch)
        {
            using var s = new PretrainingBatchStream(Directory, 1, seed, new DataPosition(epoch, 0));
            return string.Join(";", Enumerable.Range(0, (int)s.ExampleCount).Select(_ => Render(s.Next())));
        }
        Assert.NotEqual(Epoch(1, 0), Epoch(1, 1));
        Assert.NotEqual(Epoch(1, 0), Epoch(2, 0));
        Assert.Equal(Epoch(1, 1), Epoch(1, 1));
    }

    [Fact]
    public void Constructor_RejectsPositionOutsideEpoch()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PretrainingBatchStream(Directory, 4, 1, new DataPosition(0, 1_000_000)));
        Assert.Throws<FileNotFoundException>(() => new PretrainingBatchStream(Path.GetTempPath(), 4, 1));
    }

    private static List<string> AllExamples()
    {
        var all = new List<string>();
        foreach (var shard in Built.Value.Dataset.Shards)
        {
            using var reader = new ShardReader(Path.Combine(Directory, shard.File));
            for (int i = 0; i < reader.Count; i++)
            {
                var e = reader.Read(i);
                all.Add(string.Join(',', e.InputIds) + "/" + string.Join(',', e.SegmentIds()));
            }
        }
        return all;
    }

    private static string Row(PretrainingBatch batch, int row)
    {
        int t = batch.SeqLength;
        int length = (int)batch.InputMask.AsSpan(row * t, t).ToArray().Sum();
        return string.Join(',', batch.InputIds.AsSpan(row * t, length).ToArray()) + "/" + string.Join(',', batch.SegmentIds.AsSpan(row * t, length).ToArray());
    }

    private static string Render(PretrainingBatch batch) =>
        string.Join("|", Enumerable.Range(0, batch.BatchSize).Select(r => Row(batch, r)));
}
