using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Finetuning;

/// <summary>Decoding rules, text mapping, null odds, the dev threshold and the official output files, end to end.</summary>
[Trait("Category", "Unit")]
public sealed class SquadDecoderTests
{
    private static readonly SquadFeaturizer Featurizer = new(GlueEncoderTests.Uncased.Value, new SquadFeaturizerOptions(MaxSeqLength: 128, DocStride: 32));
    private static readonly SquadDecoder Decoder = new(GlueEncoderTests.Uncased.Value, new SquadDecodeOptions());

    // Logits a perfect model would give: a peak at the training label of every window ([CLS] when it has none).
    private static (float[] Start, float[] End) OracleLogits(SquadFeaturization training)
    {
        var t = training.MaxSeqLength;
        var start = new float[training.Features.Count * t];
        var end = new float[training.Features.Count * t];
        foreach (var (feature, row) in training.Features.Select((f, i) => (f, i)))
        {
            start[row * t + feature.StartPosition] = 10;
            end[row * t + feature.EndPosition] = 10;
        }
        return (start, end);
    }

    [Fact]
    public void OracleLogits_OnSquad2Sample_ScoreHundredAfterTheDevThresholdAndFilesRoundTrip()
    {
        var dev = SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.sample.json"));
        var training = Featurizer.Featurize(dev, training: true);
        var eval = Featurizer.Featurize(dev, training: false);
        Assert.Equal(training.Features.Select(f => f.Tokens), eval.Features.Select(f => f.Tokens));
        var (start, end) = OracleLogits(training);

        var predictions = Decoder.Decode(eval, start, end, v2: true);
        Assert.Equal(dev.QuestionCount, predictions.Count);
        Assert.All(predictions, p => Assert.InRange(p.NBest.Count, 1, 20));
        var threshold = SquadNullThreshold.ChooseOnDev(dev, predictions);
        var answers = SquadNullThreshold.Apply(predictions, threshold);

        var folder = TestPaths.TempDirectory("squad-pred");
        SquadPredictionFiles.WritePredictions(Path.Combine(folder, "predictions.json"), answers);
        SquadPredictionFiles.WriteNaProbs(Path.Combine(folder, "na_probs.json"), predictions);
        SquadPredictionFiles.WriteNBest(Path.Combine(folder, "nbest_predictions.json"), predictions);
        var result = SquadV2Evaluator.Evaluate(dev.Gold(), SquadPredictionFiles.ReadPredictions(Path.Combine(folder, "predictions.json")),
            SquadPredictionFiles.ReadNaProbs(Path.Combine(folder, "na_probs.json")), naProbThreshold: threshold);
        Assert.Equal((100.0, 100.0), (result.All.Exact, result.All.F1));
        Assert.Equal(100.0, result.Best!.BestF1);
    }

    [Fact]
    public void OracleLogits_OnFullSquad11Dev_ReachTheSupersetCeiling()
    {
        var dev = SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v1.1.json"));
        var featurizer = new SquadFeaturizer(GlueEncoderTests.Uncased.Value, new SquadFeaturizerOptions(MaxSeqLength: 384));
        var training = featurizer.Featurize(dev, training: true);
        var (start, end) = OracleLogits(training);
        var predictions = Decoder.Decode(featurizer.Featurize(dev, training: false), start, end, v2: false);
        Assert.All(predictions, p => Assert.Null(p.NullOdds));
        var result = SquadV1Evaluator.Evaluate(dev.Gold(), SquadPredictionFiles.BestNonNull(predictions));
        // Only the 37 questions whose first answer is part of a WordPiece token miss exact match, and some of those
        // still match another gold answer.
        Assert.InRange(result.ExactMatch, 100.0 * (10570 - 37) / 10570, 100.0);
        Assert.True(result.F1 > 99.7, $"F1 {result.F1}");
    }

    [Fact]
    public void Candidates_BreakingTheOfficialRules_AreDiscarded()
    {
        var dev = SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.sample.json"));
        var eval = Featurizer.Featurize(dev, training: false);
        var t = eval.MaxSeqLength;
        var feature = eval.Features[0];
        var firstDoc = Array.FindIndex(feature.TokenToOrigMap, i => i >= 0);
        var start = new float[eval.Features.Count * t];
        var end = new float[eval.Features.Count * t];
        // The strongest pairs are invalid: start on [CLS], start in the query, and end before start.
        start[0] = 50; end[0] = 50;
        start[1] = 40; end[1] = 40;
        start[firstDoc + 5] = 30; end[firstDoc + 2] = 30;
        start[firstDoc + 3] = 20; end[firstDoc + 4] = 20;
        var prediction = Decoder.Decode(eval, start, end, v2: true)[0];
        var expected = Decoder.SpanText(eval.Examples[0], feature, firstDoc + 3, firstDoc + 4);
        Assert.Equal(expected, prediction.BestText);
        Assert.All(prediction.NBest, c => Assert.NotEqual("", c.Text));
        Assert.True(prediction.NullOdds > 0, "the [CLS] peak makes no-answer the likelier reading");
    }

    [Fact]
    public void SpansLongerThanMaxAnswerLength_AreDiscarded()
    {
        var dev = SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.sample.json"));
        var eval = Featurizer.Featurize(dev, training: false);
        var t = eval.MaxSeqLength;
        var feature = eval.Features[0];
        var firstDoc = Array.FindIndex(feature.TokenToOrigMap, i => i >= 0);
        var start = new float[eval.Features.Count * t];
        var end = new float[eval.Features.Count * t];
        start[firstDoc] = 30; end[firstDoc + 30] = 30;   // 31 tokens
        start[firstDoc + 1] = 10; end[firstDoc + 2] = 10;
        var prediction = Decoder.Decode(eval, start, end, v2: false)[0];
        // (first, first+30) is the top pair but 31 tokens long; (first, first+2) is the best one allowed.
        Assert.Equal(Decoder.SpanText(eval.Examples[0], feature, firstDoc, firstDoc + 2), prediction.BestText);
    }

    [Fact]
    public void FinalText_RestoresCaseAndPunctuationFromTheOriginal()
    {
        var tokenizer = GlueEncoderTests.Uncased.Value;
        Assert.Equal("Steve Smith", SquadFinalText.Get("steve smith", "Steve Smith's", tokenizer));
        Assert.Equal("1895", SquadFinalText.Get("1895", "(1895-1943).", tokenizer));
        Assert.Equal("Caf\u00e9", SquadFinalText.Get("cafe", "Caf\u00e9 au lait", tokenizer));
        // A decomposed accent is dropped, which changes the length: no alignment, so the whole span comes back.
        Assert.Equal("Cafe\u0301 au lait", SquadFinalText.Get("cafe", "Cafe\u0301 au lait", tokenizer));
        Assert.Equal("(1895-1943).", SquadFinalText.Get("1896", "(1895-1943).", tokenizer));  // not found: whole span
    }

    [Fact]
    public void AnswerableLogits_GiveElectraStyleNullOdds()
    {
        var dev = SquadDataset.Load(SquadDatasetTests.SquadFile("dev-v2.0.sample.json"));
        var eval = Featurizer.Featurize(dev, training: false);
        var t = eval.MaxSeqLength;
        var logits = new float[eval.Features.Count * t];
        var answerable = eval.Features.Select(f => (float)f.DocSpanIndex - 1.5f).ToArray();
        var predictions = Decoder.Decode(eval, logits, logits, v2: true, answerableLogits: answerable);
        foreach (var p in predictions.Zip(eval.Examples))
            Assert.Equal(-1.5, p.First.NullOdds!.Value, 6);  // min over windows: window 0
    }
}
