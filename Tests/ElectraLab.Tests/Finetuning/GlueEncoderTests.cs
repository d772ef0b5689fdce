using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Tests.Finetuning;

[Trait("Category", "Unit")]
public sealed class GlueEncoderTests
{
    internal static readonly Lazy<WordPieceTokenizer> Uncased = new(() =>
        WordPieceTokenizer.FromVocabFile(Path.Combine(TestPaths.Shared, "data", "vocab", "bert-base-uncased-vocab.txt"), lowerCase: true));

    [Theory]
    [InlineData(5, 3, 6, 3, 3)]
    [InlineData(3, 3, 5, 3, 2)]  // a tie pops from b
    [InlineData(2, 9, 6, 2, 4)]
    [InlineData(2, 2, 10, 2, 2)]
    public void TruncatePair_PopsFromTheLongerSide(int lengthA, int lengthB, int max, int keptA, int keptB)
    {
        var a = Enumerable.Range(0, lengthA).ToList();
        var b = Enumerable.Range(100, lengthB).ToList();
        GlueEncoder.TruncatePair(a, b, max);
        Assert.Equal(Enumerable.Range(0, keptA), a);
        Assert.Equal(Enumerable.Range(100, keptB), b);
    }

    [Fact]
    public void Encode_Pair_LaysOutClsASepBSepWithSegmentsAndPadding()
    {
        var tokenizer = Uncased.Value;
        var encoder = new GlueEncoder(tokenizer, GlueTasks.Rte, maxSeqLength: 12);
        var features = encoder.Encode(new GlueExample("dev-0", "0", "Hello world.", "How are you?", "not_entailment"));
        var a = tokenizer.Encode("Hello world.");
        var b = tokenizer.Encode("How are you?");
        long[] expected = [tokenizer.ClsId, .. a.Select(i => (long)i), tokenizer.SepId, .. b.Select(i => (long)i), tokenizer.SepId];
        Assert.Equal(expected, features.InputIds.Take(expected.Length));
        Assert.All(features.InputIds.Skip(expected.Length), id => Assert.Equal(tokenizer.PadId, id));
        Assert.Equal(Enumerable.Repeat(1L, expected.Length).Concat(Enumerable.Repeat(0L, 12 - expected.Length)), features.AttentionMask);
        long[] segments = [.. Enumerable.Repeat(0L, a.Length + 2), .. Enumerable.Repeat(1L, b.Length + 1), .. Enumerable.Repeat(0L, 12 - expected.Length)];
        Assert.Equal(segments, features.TokenTypeIds);
        Assert.Equal(1, features.LabelId);
    }

    [Fact]
    public void Encode_LongInputs_FillExactlyMaxSeqLength()
    {
        var encoder = new GlueEncoder(Uncased.Value, GlueTasks.Sst2, maxSeqLength: 8);
        var features = encoder.Encode(new GlueExample("x", "0", "one two three four five six seven eight nine ten", null, "1"));
        Assert.Equal(8, features.InputIds.Length);
        Assert.Equal(Uncased.Value.SepId, features.InputIds[7]);
        Assert.All(features.AttentionMask, m => Assert.Equal(1, m));
        Assert.All(features.TokenTypeIds, s => Assert.Equal(0, s));
    }

    [Fact]
    public void EncodeBatch_ReturnsRowMajorArraysWithScoresForStsB()
    {
        var dev = GlueLoader.Load(GlueTasks.StsB, Path.Combine(TestPaths.Shared, "data", "glue"), GlueSplit.Dev).Examples.Take(3).ToList();
        var batch = new GlueEncoder(Uncased.Value, GlueTasks.StsB, 16).EncodeBatch(dev);
        Assert.Equal(3 * 16, batch.InputIds.Length);
        Assert.Equal([5.0f, 4.75f, 5.0f], batch.Scores);
        Assert.All(batch.LabelIds, id => Assert.Equal(-1, id));
        Assert.Equal(Uncased.Value.ClsId, batch.InputIds[16]);
    }

    [Fact]
    public void Submission_WrittenFromPredictions_ScoresAsTheEvaluationDoes()
    {
        var dev = GlueLoader.Load(GlueTasks.Rte, Path.Combine(TestPaths.Shared, "data", "glue"), GlueSplit.Dev);
        var predictions = dev.Examples.Select((e, i) => GlueSubmission.Format(GlueTasks.Rte, i % 2)).ToList();
        var path = Path.Combine(TestPaths.TempDirectory("glue-sub"), "RTE.tsv");
        GlueSubmission.Write(path, dev.Examples, predictions);
        var rows = GlueSubmission.Read(path);
        Assert.Equal(dev.Examples.Select(e => e.Index), rows.Select(r => r.Index));
        Assert.Equal(GlueEvaluation.Score(dev, predictions), GlueEvaluation.ScoreSubmission(dev, rows, path));
        Assert.Equal("3.800", GlueSubmission.Format(3.8));
    }
}
