using ElectraLab.Electra.Finetuning.Squad;

namespace ElectraLab.Tests.Finetuning;

/// <summary>Sliding windows, max-context flags and the `[CLS] q [SEP] doc [SEP]` layout.</summary>
[Trait("Category", "Unit")]
public sealed class SquadWindowTests
{
    [Fact]
    public void DocSpans_AdvanceByStrideUntilTheEndIsCovered()
    {
        Assert.Equal([(0, 200), (128, 172)], SquadFeaturizer.DocSpans(300, 200, 128));
        Assert.Equal([(0, 50)], SquadFeaturizer.DocSpans(50, 200, 128));
        Assert.Equal([(0, 10), (10, 10), (20, 5)], SquadFeaturizer.DocSpans(25, 10, 128)); // stride capped by the window length
    }

    [Fact]
    public void MaxContext_PrefersTheWindowWithMoreContextOnBothSides()
    {
        var spans = SquadFeaturizer.DocSpans(300, 200, 128);
        // position 150: window 0 gives min(150, 49) = 49, window 1 gives min(22, 149) = 22.
        Assert.True(SquadFeaturizer.IsMaxContext(spans, 0, 150));
        Assert.False(SquadFeaturizer.IsMaxContext(spans, 1, 150));
        // position 180: window 0 min(180, 19) = 19, window 1 min(52, 119) = 52.
        Assert.True(SquadFeaturizer.IsMaxContext(spans, 1, 180));
    }

    [Fact]
    public void SmallWindows_LabelOnlyTheWindowsThatHoldTheWholeAnswer()
    {
        var tokenizer = GlueEncoderTests.Uncased.Value;
        var featurizer = new SquadFeaturizer(tokenizer, new SquadFeaturizerOptions(MaxSeqLength: 64, DocStride: 16, MaxQueryLength: 16));
        var dataset = SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.sample.json"));
        var data = featurizer.Featurize(dataset, training: true);
        Assert.True(data.Features.Count > 3 * data.Examples.Count, "expected several windows per example");
        foreach (var example in data.Examples)
        {
            var windows = data.Features.Where(f => f.ExampleIndex == example.Index).ToList();
            Assert.Equal(Enumerable.Range(0, windows.Count), windows.Select(w => w.DocSpanIndex));
            if (example.IsImpossible)
            {
                Assert.All(windows, w => Assert.True(w.IsNullLabel));
                continue;
            }
            Assert.Contains(windows, w => !w.IsNullLabel);
            foreach (var w in windows.Where(w => !w.IsNullLabel))
            {
                Assert.InRange(w.StartPosition, 1, w.EndPosition);
                Assert.True(w.TokenToOrigMap[w.StartPosition] >= 0 && w.TokenToOrigMap[w.EndPosition] >= 0);
            }
        }
        var first = data.Features[0];
        var query = tokenizer.Tokenize(data.Examples[0].Question);
        Assert.Equal(["[CLS]", .. query, "[SEP]"], first.Tokens.Take(query.Count + 2));
        Assert.Equal("[SEP]", first.Tokens[^1]);
        Assert.Equal(64, first.Tokens.Count);
        Assert.Equal(tokenizer.ClsId, first.InputIds[0]);
        Assert.All(first.TokenTypeIds.Take(query.Count + 2), s => Assert.Equal(0, s));
        Assert.All(first.TokenTypeIds.Skip(query.Count + 2), s => Assert.Equal(1, s));
        Assert.All(first.AttentionMask, m => Assert.Equal(1, m));
    }

    [Fact]
    public void EvalMode_KeepsEveryQuestionWithoutLabels()
    {
        var featurizer = new SquadFeaturizer(GlueEncoderTests.Uncased.Value, new SquadFeaturizerOptions(MaxSeqLength: 384));
        var data = featurizer.Featurize(SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.first5articles.json")), training: false);
        Assert.Equal(1407, data.Examples.Count);
        Assert.Empty(data.Skipped);
        Assert.All(data.Features, f => Assert.Equal((-1, -1), (f.StartPosition, f.EndPosition)));
        Assert.Equal(Enumerable.Range(0, data.Features.Count), data.Features.Select(f => f.UniqueId));
        var last = data.Features[^1];
        Assert.Equal(0, last.InputIds[^1]);   // padded
        Assert.Equal(0, last.AttentionMask[^1]);
    }

    [Fact]
    public void LongQuery_IsCutToMaxQueryLength()
    {
        var featurizer = new SquadFeaturizer(GlueEncoderTests.Uncased.Value, new SquadFeaturizerOptions(MaxSeqLength: 128, MaxQueryLength: 4));
        var question = new SquadQuestion("q", "one two three four five six", [new SquadAnswer("Paris", 0)], false);
        var dataset = new SquadDataset("mem", "1.1", false, [new SquadArticle("t", [new SquadParagraph("Paris is in France.", [question])])]);
        var feature = featurizer.Featurize(dataset, training: true).Features.Single();
        Assert.Equal(["[CLS]", "one", "two", "three", "four", "[SEP]", "paris"], feature.Tokens.Take(7));
        Assert.Equal((6, 6), (feature.StartPosition, feature.EndPosition));
    }

    [Fact]
    public void Batch_StacksFeaturesRowMajorWithLabels()
    {
        var featurizer = new SquadFeaturizer(GlueEncoderTests.Uncased.Value, new SquadFeaturizerOptions(MaxSeqLength: 64, DocStride: 16, MaxQueryLength: 16));
        var data = featurizer.Featurize(SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.sample.json")), training: true);
        var features = data.Features.Take(5).ToList();
        var batch = SquadBatch.From(features);
        Assert.Equal((5, 64), (batch.Size, batch.SeqLength));
        Assert.Equal(features[3].InputIds, batch.InputIds.AsSpan(3 * 64, 64).ToArray());
        Assert.Equal(features.Select(f => (long)f.StartPosition), batch.StartPositions);
        Assert.Equal(features.Select(f => f.IsNullLabel ? 1f : 0f), batch.IsImpossible);
    }
}
