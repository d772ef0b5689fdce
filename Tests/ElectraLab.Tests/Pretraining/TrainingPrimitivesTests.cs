using ElectraLab.Electra.Training;
using ElectraLab.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElectraLab.Tests.Pretraining;

/// <summary>The official optimizer, schedule and clipping (E-opt), checked against hand-computed values.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class TrainingPrimitivesTests
{
    [Fact]
    public void AdamWeightDecay_HasNoBiasCorrection_AndDecaysOnlyNonNormNonBiasWeights()
    {
        using var w = new Parameter(tensor(new[] { 1.0f, -2.0f }));
        using var b = new Parameter(tensor(new[] { 0.5f }));
        using var optimizer = new AdamWeightDecay([("layer.dense.weight", w), ("layer.dense.bias", b)], weightDecay: 0.01);
        w.grad = tensor(new[] { 0.1f, 0.2f });
        b.grad = tensor(new[] { -0.3f });
        optimizer.Step(learningRate: 0.1);

        // m = 0.1·g, v = 0.001·g², update = m / (sqrt(v) + 1e-6) (+ 0.01·w for weights), w -= lr·update.
        double Expected(double p, double g, bool decay)
        {
            double m = 0.1 * g, v = 0.001 * g * g;
            double update = m / (Math.Sqrt(v) + 1e-6) + (decay ? 0.01 * p : 0);
            return p - 0.1 * update;
        }
        var weights = w.data<float>().ToArray();
        Assert.Equal(Expected(1.0, 0.1, true), weights[0], 1e-6);
        Assert.Equal(Expected(-2.0, 0.2, true), weights[1], 1e-6);
        Assert.Equal(Expected(0.5, -0.3, false), b.data<float>()[0], 1e-6);
        // With bias correction the first update would be ≈ lr·sign(g) = 0.1; without it, ≈ 0.1·0.1/sqrt(0.001) ≈ 0.316.
        Assert.True(Math.Abs(1.0 - weights[0]) > 0.3);
    }

    [Theory]
    [InlineData("electra.embeddings.LayerNorm.weight", true)]
    [InlineData("generator_predictions.LayerNorm.bias", true)]
    [InlineData("electra.encoder.layer.0.output.dense.bias", true)]
    [InlineData("electra.encoder.layer.0.output.dense.weight", false)]
    [InlineData("electra.embeddings.word_embeddings.weight", false)]
    public void WeightDecay_Exclusions(string name, bool excluded) => Assert.Equal(excluded, AdamWeightDecay.ExcludedFromDecay(name));

    [Fact]
    public void Schedule_MultipliesWarmupIntoLinearDecay_AndStartsAtZero()
    {
        var schedule = new LearningRateSchedule(Peak: 1e-3, TotalSteps: 1000, WarmupSteps: 100);
        Assert.Equal(0, schedule.At(0));
        Assert.Equal(1e-3 * (1 - 50 / 1000.0) * 0.5, schedule.At(50), 1e-15);     // both factors at once
        Assert.Equal(1e-3 * (1 - 100 / 1000.0), schedule.At(100), 1e-15);
        Assert.Equal(1e-3 * 0.5, schedule.At(500), 1e-15);
        Assert.Equal(0, schedule.At(1000));
        Assert.Equal(0, schedule.At(1200));
    }

    [Fact]
    public void Clipping_ScalesByClipOverGlobalNorm_OnlyAboveTheLimit()
    {
        using var a = new Parameter(zeros(2));
        using var b = new Parameter(zeros(1));
        a.grad = tensor(new[] { 3f, 0f });
        b.grad = tensor(new[] { 4f });
        using var norm = GradientClipping.ClipByGlobalNorm([a, b], 1.0);
        Assert.Equal(5f, norm.item<float>(), 1e-5);
        Assert.Equal(new[] { 0.6f, 0f }, a.grad!.data<float>().ToArray());
        Assert.Equal(0.8f, b.grad!.data<float>()[0], 1e-6);

        a.grad = tensor(new[] { 0.3f, 0f });
        b.grad = tensor(new[] { 0.4f });
        using var small = GradientClipping.ClipByGlobalNorm([a, b], 1.0);
        Assert.Equal(0.3f, a.grad!.data<float>()[0], 1e-7);
    }

    [Theory]
    [InlineData(0.05)]      // below the clip: scale 1
    [InlineData(50.0)]      // far above: every gradient scaled by 1/norm
    public void ClipAndStep_FusedCpuPath_MatchesLibtorchClippingThenStep(double gradSize)
    {
        // The fused path runs when every tensor is fp32 on the CPU; the same update through libtorch is
        // GradientClipping + Step. Sizes cross the fused kernel's chunk (65,536) and vector (8) boundaries.
        manual_seed(3);
        (string Name, long[] Shape)[] shapes = [("encoder.dense.weight", [300, 500]), ("encoder.dense.bias", [13]), ("encoder.LayerNorm.weight", [70_001])];
        var initial = shapes.Select(s => randn(s.Shape)).ToArray();
        var grads = shapes.Select(s => randn(s.Shape).mul_(gradSize / 300)).ToArray();
        var fused = initial.Select(t => new Parameter(t.clone())).ToArray();
        var reference = initial.Select(t => new Parameter(t.clone())).ToArray();
        using var fusedOpt = new AdamWeightDecay(shapes.Select((s, i) => (s.Name, fused[i])), weightDecay: 0.01, name => name.Contains("bias") ? 0.5 : 1.0);
        using var referenceOpt = new AdamWeightDecay(shapes.Select((s, i) => (s.Name, reference[i])), weightDecay: 0.01, name => name.Contains("bias") ? 0.5 : 1.0);
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                fused[i].grad = grads[i].mul(step + 1);
                reference[i].grad = grads[i].mul(step + 1);
            }
            fusedOpt.ClipAndStep(1e-3, clipNorm: 1.0);
            // The fused path reads the gradients and applies the clip on the fly: they are left as they were
            // (libtorch's clipping rewrites them), which shows the fused path is the one that ran.
            using (var unscaled = grads[0].mul(step + 1))
                Assert.Equal(0f, (fused[0].grad! - unscaled).abs().max().item<float>());
            using var norm = GradientClipping.ClipByGlobalNorm(reference, 1.0);
            referenceOpt.Step(1e-3);
        }
        for (int i = 0; i < shapes.Length; i++)
        {
            double maxDiff = (fused[i] - reference[i]).abs().max().item<float>();
            double moved = (reference[i] - initial[i]).abs().max().item<float>();
            Assert.True(moved > 1e-4, $"{shapes[i].Name} did not move");
            Assert.True(maxDiff <= 1e-6, $"{shapes[i].Name}: fused and libtorch updates differ by {maxDiff}");
        }
        foreach (var (f, r) in fusedOpt.State().Zip(referenceOpt.State()))
            Assert.True((f.Value - r.Value).abs().max().item<float>() <= 1e-6 * (1 + r.Value.abs().max().item<float>()), f.Key);
    }
}
