using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Modeling;

/// <summary>
/// The CPU training attention (one fused query/key/value projection, q pre-scaled, −∞ at padded keys, a softmax
/// reducing in fp32) computes what the inference path (libtorch's scaled_dot_product_attention, checked against
/// Hugging Face) does, in fp32 and in bf16, with or without a mask; its dropout keeps the expectation.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class TrainingAttentionTests
{
    [Fact]
    public void TrainingPath_WithDropoutThatDropsNothing_EqualsTheInferencePath_ValuesAndGradients()
    {
        // A dropout probability below 1/131072 rounds to a threshold of 0: the training path runs, nothing is dropped.
        var config = new ElectraConfig { VocabSize = 50, EmbeddingSize = 32, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 4,
            IntermediateSize = 64, AttentionProbsDropoutProb = 1e-9, HiddenDropoutProb = 0 };
        manual_seed(21);
        using var attention = new ElectraSelfAttention(config);
        using var hidden = randn(3, 10, 32);
        // Row 2 has three padded keys at the end.
        using var keyMask = ones(3, 1, 1, 10, dtype: ScalarType.Bool);
        keyMask[2, 0, 0, TensorIndex.Slice(7, 10)] = tensor(false);

        (Tensor Output, Tensor[] Grads) Run(bool training)
        {
            attention.train(training);
            attention.zero_grad();
            using var x = hidden.clone().requires_grad_(true);
            var output = attention.forward(x, keyMask);
            output.square().sum().backward();
            var grads = attention.parameters().Select(p => p.grad!.clone()).Append(x.grad!.clone()).ToArray();
            return (output.detach(), grads);
        }
        var (trainOut, trainGrads) = Run(training: true);
        var (evalOut, evalGrads) = Run(training: false);

        Assert.True((trainOut - evalOut).abs().max().item<float>() < 1e-5f, "outputs differ");
        for (int i = 0; i < trainGrads.Length; i++)
            Assert.True((trainGrads[i] - evalGrads[i]).abs().max().item<float>() < 1e-4f, $"gradient {i} differs");
        // Padded keys get weight exactly 0: changing the padded positions' inputs leaves the real queries' outputs of row 2 alone.
        attention.train(true);
        using var changed = hidden.clone();
        changed[2, TensorIndex.Slice(7, 10)] = randn(3, 32);
        using (no_grad())
        {
            using var a = attention.forward(hidden, keyMask);
            using var b = attention.forward(changed, keyMask);
            Assert.True((a[2, TensorIndex.Slice(0, 7)] - b[2, TensorIndex.Slice(0, 7)]).abs().max().item<float>() == 0f);
        }
    }

    [Fact]
    public void NoMask_EqualsAMaskWithoutPadding_InTrainingAndInference()
    {
        // The model passes no mask when no key is padding; that must change nothing.
        using var attention = new ElectraSelfAttention(TinyConfig(dropout: 1e-9));
        using var hidden = randn(2, 9, 32);
        using var allReal = ones(2, 1, 1, 9, dtype: ScalarType.Bool);
        using (no_grad())
            foreach (bool training in new[] { true, false })
            {
                attention.train(training);
                using var masked = attention.forward(hidden, allReal);
                using var unmasked = attention.forward(hidden, null);
                Assert.True((masked - unmasked).abs().max().item<float>() < 1e-6f, $"training={training}");
            }
    }

    [Fact]
    public void Bf16TrainingPath_EqualsTheBf16InferencePath_WithinBf16Rounding()
    {
        using var attention = new ElectraSelfAttention(TinyConfig(dropout: 1e-9));
        using var hidden = randn(3, 10, 32);
        using var keyMask = ones(3, 1, 1, 10, dtype: ScalarType.Bool);
        keyMask[1, 0, 0, TensorIndex.Slice(6, 10)] = tensor(false);
        using var bf16 = MixedPrecision.Use(ScalarType.BFloat16);
        using (no_grad())
        {
            attention.train(true);
            using var trained = attention.forward(hidden, keyMask);
            attention.train(false);
            using var inferred = attention.forward(hidden, keyMask);
            Assert.Equal(ScalarType.BFloat16, trained.dtype);
            using var gap = (trained.to_type(ScalarType.Float32) - inferred.to_type(ScalarType.Float32)).abs().max();
            using var size = inferred.to_type(ScalarType.Float32).abs().max();
            // bf16 keeps 8 significant bits: a few units of 2^-8 of the output's size.
            Assert.True(gap.item<float>() < 0.02f * size.item<float>(), $"gap {gap.item<float>()} of {size.item<float>()}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttentionDropout_KeepsTheExpectedOutput(bool bf16)
    {
        // Half the probabilities dropped: without the 1/P(keep) scale (applied to the context under bf16) the mean
        // over many draws would be half the dropout-free output.
        using var attention = new ElectraSelfAttention(TinyConfig(dropout: 0.5));
        using var hidden = randn(2, 8, 32);
        using var scope = MixedPrecision.Use(bf16 ? ScalarType.BFloat16 : null);
        using (no_grad())
        {
            attention.train(false);
            using var expected = attention.forward(hidden, null).to_type(ScalarType.Float32);
            attention.train(true);
            DropoutRandom.Reseed(5);
            using var sum = zeros_like(expected);
            const int draws = 400;
            for (int i = 0; i < draws; i++)
            {
                using var output = attention.forward(hidden, null);
                sum.add_(output.to_type(ScalarType.Float32));
            }
            using var mean = sum / draws;
            using var gap = (mean - expected).abs().mean();
            using var size = expected.abs().mean();
            Assert.True(gap.item<float>() < 0.1f * size.item<float>(), $"mean gap {gap.item<float>()} of {size.item<float>()}");
        }
    }

    // Seeds libtorch as well, so the attention built from it (and the inputs drawn after it) are the same each run.
    private static ElectraConfig TinyConfig(double dropout)
    {
        manual_seed(22);
        return new ElectraConfig { VocabSize = 50, EmbeddingSize = 32, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 4,
            IntermediateSize = 64, AttentionProbsDropoutProb = dropout, HiddenDropoutProb = 0 };
    }
}
