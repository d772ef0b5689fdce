using System.Buffers.Binary;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

[Trait("Category", "Unit")]
public sealed class ShardTests
{
    [Theory]
    [InlineData(30522)]   // uint16 ids
    [InlineData(250_000)] // int32 ids
    public void WriteThenRead_RoundTripsExamples(int vocabSize)
    {
        var dir = TestPaths.TempDirectory("shard");
        var path = Path.Combine(dir, "a.elshard");
        var examples = new[]
        {
            new PretrainingExample([101, 7, 102], 3),
            new PretrainingExample([101, 30521, 65535 % vocabSize, 102, 9, 9, 102], 4),
            new PretrainingExample([101, .. Enumerable.Range(1000, 14), 102], 16),
        };
        if (vocabSize > 65536) examples[0] = new PretrainingExample([101, 249_999, 102], 3);
        using (var writer = new ShardWriter(path, 16, vocabSize))
            foreach (var e in examples) writer.Write(e);

        using var reader = new ShardReader(path);
        Assert.Equal(3, reader.Count);
        Assert.Equal(16, reader.MaxSeqLength);
        Assert.Equal(examples.Sum(e => e.Length), reader.TokenCount);
        for (int i = 0; i < examples.Length; i++)
        {
            var read = reader.Read(i);
            Assert.Equal(examples[i].InputIds, read.InputIds);
            Assert.Equal(examples[i].FirstSegmentLength, read.FirstSegmentLength);
        }

        long[] ids = new long[16], mask = new long[16], segments = new long[16];
        Array.Fill(ids, -1);
        reader.ReadInto(1, ids, mask, segments);
        Assert.Equal(examples[1].InputIds.Select(x => (long)x).Concat(Enumerable.Repeat(0L, 9)), ids);
        Assert.Equal(Enumerable.Repeat(1L, 7).Concat(Enumerable.Repeat(0L, 9)), mask);
        Assert.Equal(new long[] { 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, segments);
    }

    [Fact]
    public void Reader_RejectsForeignAndTruncatedFiles()
    {
        var dir = TestPaths.TempDirectory("shard-bad");
        var foreign = Path.Combine(dir, "x.elshard");
        File.WriteAllText(foreign, new string('x', 100));
        Assert.Throws<InvalidDataException>(() => new ShardReader(foreign));

        var good = Path.Combine(dir, "good.elshard");
        using (var writer = new ShardWriter(good, 8, 100)) writer.Write(new PretrainingExample([2, 5, 3], 3));
        var bytes = File.ReadAllBytes(good);
        var cut = Path.Combine(dir, "cut.elshard");
        File.WriteAllBytes(cut, bytes[..^4]);
        Assert.Throws<InvalidDataException>(() => new ShardReader(cut));
    }

    // Byte offsets in the 64-byte header (ShardFormat.cs): max_seq_length 12, token width 16, count 24, index offset 32.
    [Theory]
    [InlineData("record 1 a terabyte away", -1, 1L << 40)]
    [InlineData("record 1 before record 0", -1, 10L)]
    [InlineData("record 1 past the index", -1, 1000L)]
    [InlineData("negative record offset", -1, long.MinValue)]
    [InlineData("count near long.MaxValue", 24, long.MaxValue)]
    [InlineData("count 2^61", 24, 1L << 61)]
    [InlineData("negative count", 24, -1L)]
    [InlineData("index offset past the end", 32, 1L << 50)]
    [InlineData("negative index offset", 32, -64L)]
    public void Reader_CorruptHeaderOrIndex_InvalidDataNamingTheFile(string corruption, int headerOffset, long value)
    {
        var dir = TestPaths.TempDirectory("shard-corrupt");
        var path = Path.Combine(dir, "a.elshard");
        using (var writer = new ShardWriter(path, 8, 100))
            for (int i = 0; i < 3; i++) writer.Write(new PretrainingExample([2, 5, 3], 3));
        var bytes = File.ReadAllBytes(path);
        // -1: overwrite the index's entry for record 1 rather than a header field.
        int at = headerOffset >= 0 ? headerOffset : (int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32)) + 8;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), value);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => new ShardReader(path));
        Assert.True(error.Message.StartsWith(path, StringComparison.Ordinal), $"{corruption}: {error.Message}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(int.MaxValue)]
    public void Reader_CorruptMaxSeqLength_InvalidData(int maxSeqLength)
    {
        var dir = TestPaths.TempDirectory("shard-corrupt-len");
        var path = Path.Combine(dir, "a.elshard");
        using (var writer = new ShardWriter(path, 8, 100)) writer.Write(new PretrainingExample([2, 5, 3], 3));
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), maxSeqLength);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("corrupt shard header", Assert.Throws<InvalidDataException>(() => new ShardReader(path)).Message);
    }

    [Fact]
    public void Writer_RejectsExampleLongerThanMax()
    {
        var dir = TestPaths.TempDirectory("shard-long");
        using var writer = new ShardWriter(Path.Combine(dir, "a.elshard"), 4, 100);
        Assert.Throws<ArgumentException>(() => writer.Write(new PretrainingExample([2, 5, 6, 7, 3], 5)));
    }
}
