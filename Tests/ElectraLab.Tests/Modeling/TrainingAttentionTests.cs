using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;

namespace ElectraLab.Tests.Modeling;

/// <summary>
/// The CPU training attention (one fused query/key/value projection, q pre-scaled, −∞ at padded keys, fp32 softmax)
/// computes what the inference path (libtorch's scaled_dot_product_attention, checked against Hugging Face) does.
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
}
