// Multi-head self-attention with a post-LayerNorm residual (BERT/HF ElectraAttention). Padded keys are masked
// with a boolean mask through scaled_dot_product_attention: they get probability exactly 0, as HF's additive
// float32-min mask gives, and padded queries are still computed (HF fixtures compare them too).
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElectraLab.Electra.Modeling;

public sealed class ElectraSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int _heads;
    private readonly int _headSize;
    private readonly double _dropout;

    public ElectraSelfAttention(ElectraConfig config) : base(nameof(ElectraSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        _heads = config.NumAttentionHeads;
        _headSize = config.HeadSize;
        _dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <param name="hidden">(B, T, H)</param>
    /// <param name="keyMask">(B, 1, 1, T) bool, true where the key is a real token</param>
    public override Tensor forward(Tensor hidden, Tensor keyMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        using var q = Heads(query.forward(hidden), batch, length);
        using var k = Heads(key.forward(hidden), batch, length);
        using var v = Heads(value.forward(hidden), batch, length);
        using var context = F.scaled_dot_product_attention(q, k, v, keyMask, training ? _dropout : 0.0);
        // (B, A, T, D) -> (B, T, A, D) -> (B, T, H)
        return context.transpose(1, 2).reshape(batch, length, _heads * _headSize);
    }

    // (B, T, H) -> (B, T, A, D) -> (B, A, T, D)
    private Tensor Heads(Tensor x, long batch, long length)
    {
        using (x) return x.view(batch, length, _heads, _headSize).transpose(1, 2);
    }
}

/// <summary>Projection of the attention output, dropout, residual and LayerNorm (HF ElectraSelfOutput).</summary>
public sealed class ElectraResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public ElectraResidualOutput(int inputSize, ElectraConfig config) : base(nameof(ElectraResidualOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor residual)
    {
        using var projected = dropout.forward(dense.forward(x));
        using var sum = projected.add(residual);
        return LayerNorm.forward(sum);
    }
}

public sealed class ElectraAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ElectraSelfAttention self;
    private readonly ElectraResidualOutput output;

    public ElectraAttention(ElectraConfig config) : base(nameof(ElectraAttention))
    {
        self = new ElectraSelfAttention(config);
        output = new ElectraResidualOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor keyMask)
    {
        using var attended = self.forward(hidden, keyMask);
        return output.forward(attended, hidden);
    }
}
