using ElectraLab.Electra.Pretraining;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Pretraining;

/// <summary>
/// Train FLOPs equal the official flops_computation.py. Expected values were computed by running that script's
/// formulas (MODEL_FLOPS): electra_small 1.293743798272e18, electra_base 6.424541834277683e19,
/// electra_400k 7.117606040895488e20, bert_small 1.4187399146496e18.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FlopCounterTests
{
    [Theory]
    [InlineData("small", 0.25, 128, 128, 1_000_000, 1.293743798272e18)]
    [InlineData("base", 1.0 / 3.0, 256, 512, 766_000, 6.424541834277683e19)]
    [InlineData("large", 0.25, 2048, 512, 400_000, 7.117606040895488e20)]
    public void ElectraPresets_MatchTheOfficialFormula(string size, double generator, int batch, int seq, int steps, double expected)
    {
        var config = new PretrainingConfig
        {
            ModelSize = size, GeneratorHiddenSize = generator, TrainBatchSize = batch, MaxSeqLength = seq, NumTrainSteps = steps,
        }.Normalized();
        double total = FlopCounter.PerStep(config) * steps;
        Assert.Equal(expected, total, expected * 1e-12);
    }

    [Fact]
    public void BertSmallBaseline_MatchesTheOfficialFormula()
    {
        var config = new PretrainingConfig { Objective = "mlm", TrainBatchSize = 128, MaxSeqLength = 128 }.Normalized();
        Assert.Equal(1.4187399146496e18, FlopCounter.PerStep(config) * 1.45e6, 1.4187399146496e18 * 1e-12);
    }

    [Fact]
    public void PaperTable1_ElectraSmallIsAbout1Point3e18()
    {
        var config = new PretrainingConfig().Normalized();
        Assert.InRange(FlopCounter.PerStep(config) * 1e6, 1.28e18, 1.30e18);
    }
}
