using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Pretraining;

/// <summary>bf16-mixed: bf16 compute, fp32 master weights and moments, interchangeable checkpoints.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class MixedPrecisionTests
{
    static readonly SpecialTokens Special = new(Pad: 0, Cls: 2, Sep: 3, Mask: 4);

    static BatchSourceFactory Data(PretrainingConfig c) => RandomTokenSource.Factory(c.TrainBatchSize, c.MaxSeqLength, c.VocabSize, 5, Special);

    [Fact]
    public void Bf16MixedStep_KeepsMasterWeightsAndMomentsInFp32_AndChangesThem()
    {
        var config = PretrainerTests.Micro("precision=bf16-mixed");
        using var trainer = new Pretrainer(config, Data(config), Special);
        var before = trainer.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        trainer.Train(untilStep: 3);
        foreach (var (name, tensor) in trainer.Model.state_dict())
        {
            if (name.EndsWith("position_ids", StringComparison.Ordinal)) continue;
            Assert.Equal(ScalarType.Float32, tensor.dtype);
        }
        var changed = trainer.Model.state_dict()["discriminator.electra.encoder.layer.0.intermediate.dense.weight"];
        Assert.False(before["discriminator.electra.encoder.layer.0.intermediate.dense.weight"].eq(changed).all().item<bool>());
        var root = TestPaths.TempDirectory("bf16");
        var folder = trainer.SaveCheckpoint(root);
        using var moments = new ElectraLab.Electra.Checkpoints.SafetensorsReader(Path.Combine(folder, PretrainingCheckpoint.OptimizerFile));
        Assert.All(moments.Entries.Values, e => Assert.Equal("F32", e.DType));
    }

    [Fact]
    public void Bf16MixedLoss_TracksFp32_Over100Steps()
    {
        // Same seed, data, masking and dropout; only the arithmetic differs. Tolerance: the mean total loss of
        // each 20-step window agrees within 5% (bf16 has 8 significant bits; the curves must not drift apart).
        var fp32 = Losses(PretrainerTests.Micro("num_train_steps=100", "log_every=20"));
        var bf16 = Losses(PretrainerTests.Micro("num_train_steps=100", "log_every=20", "precision=bf16-mixed"));
        Assert.Equal(5, fp32.Count);
        for (int i = 0; i < fp32.Count; i++)
        {
            double a = fp32[i].MlmLoss + 50 * fp32[i].DiscLoss, b = bf16[i].MlmLoss + 50 * bf16[i].DiscLoss;
            Assert.True(Math.Abs(a - b) / a < 0.05, $"window {i}: fp32 {a:F4} vs bf16 {b:F4}");
        }
    }

    [Theory]
    [InlineData("fp32", "bf16-mixed")]
    [InlineData("bf16-mixed", "fp32")]
    public void CheckpointWrittenInOneMode_ResumesInTheOther(string first, string second)
    {
        var root = TestPaths.TempDirectory("cross-mode");
        var a = PretrainerTests.Micro("num_train_steps=8", $"precision={first}");
        using (var trainer = new Pretrainer(a, Data(a), Special))
        {
            trainer.Train(untilStep: 4);
            trainer.SaveCheckpoint(root);
        }
        var b = PretrainerTests.Micro("num_train_steps=8", $"precision={second}");
        using var resumed = new Pretrainer(b, Data(b), Special);
        resumed.LoadCheckpoint(PretrainingCheckpoint.Latest(root)!);
        Assert.Equal(4, resumed.Step);
        var metrics = new List<TrainingMetrics>();
        resumed.Train(onMetrics: metrics.Add);
        Assert.Equal(8, resumed.Step);
        Assert.All(metrics, m => Assert.True(double.IsFinite(m.MlmLoss) && double.IsFinite(m.DiscLoss)));
    }

    static List<TrainingMetrics> Losses(PretrainingConfig config)
    {
        using var trainer = new Pretrainer(config, Data(config), Special);
        var metrics = new List<TrainingMetrics>();
        trainer.Train(onMetrics: metrics.Add);
        return metrics;
    }
}
