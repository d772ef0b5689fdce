// Multi-head self-attention with a post-LayerNorm residual (BERT/HF ElectraAttention). Padded keys get probability
// exactly 0 and padded queries are still computed (HF fixtures compare them too). Inference uses
// scaled_dot_product_attention with a boolean mask (exact: masked keys get weight 0, as HF's additive float32-min
// mask gives). Training spells attention out (scores, −∞ at padded keys, a softmax that reduces in fp32, dropout
// on the probabilities, weighted values) on the CPU, where libtorch's SDPA falls back to a slow path when dropout
// is on; on CUDA the fused kernels handle dropout themselves.
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Modeling;

public sealed class ElectraSelfAttention : nn.Module<Tensor, Tensor?, Tensor>
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
    /// <param name="keyMask">(B, 1, 1, T) bool, true where the key is a real token; null when none is padding</param>
    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        using var input = MixedPrecision.ToCompute(hidden);                  // one cast for the three projections
        Tensor context;
        if (training && _dropout > 0 && hidden.device.type == TorchSharp.DeviceType.CPU)
        {
            // One (3H × H) projection instead of three: one matmul and one gradient for the input instead of three
            // (and the two additions autograd would make of them); the parameters stay query/key/value.
            using var weight = cat([query.weight!, key.weight!, value.weight!], 0);
            using var bias = cat([query.bias!, key.bias!, value.bias!], 0);
            using var qkv = MixedPrecision.Linear(input, weight, bias);       // (B, T, 3H)
            // (B, T, 3, A, D) -> (3, B, A, T, D)
            using var split = qkv.view(batch, length, 3, _heads, _headSize).permute(2, 0, 3, 1, 4);
            using var q = split[0];
            using var k = split[1];
            using var v = split[2];
            context = Explicit(q, k, v, keyMask);
        }
        else
        {
            using var q = Heads(MixedPrecision.Linear(query, input), batch, length);
            using var k = Heads(MixedPrecision.Linear(key, input), batch, length);
            using var v = Heads(MixedPrecision.Linear(value, input), batch, length);
            context = F.scaled_dot_product_attention(q, k, v, keyMask, training ? _dropout : 0.0);
        }
        using var _ = context;
        // (B, A, T, D) -> (B, T, A, D) -> (B, T, H)
        return context.transpose(1, 2).reshape(batch, length, _heads * _headSize);
    }

    private Tensor Explicit(Tensor q, Tensor k, Tensor v, Tensor? keyMask)
    {
        // 1/√D folded into q: (B, A, T, D) is half the size of the (B, A, T, T) scores, and for D = 64 the factor
        // 1/8 is a power of two, so the scaled scores round exactly as HF's scores / √D do.
        using var scaledQ = q.mul(1.0 / Math.Sqrt(_headSize));
        using var scores = scaledQ.matmul(k.transpose(-1, -2));              // (B, A, T, D) @ (B, A, D, T) -> (B, A, T, T)
        // Padded keys get −∞, so probability exactly 0, which is what HF's float32-min additive mask gives too
        // (every row keeps its real keys: [CLS] is never padding).
        using var padded = keyMask?.logical_not();
        using var masked = padded is null ? scores.alias() : scores.masked_fill(padded, double.NegativeInfinity);
        // The softmax reduces in fp32 whatever its input and writes its input's dtype: under bf16 the bf16 the next
        // matmul reads anyway (libtorch's CPU kernel converts each row to fp32, reduces, and rounds the result once).
        // Dropout then zeroes bf16 with an exact 0/1 mask and its 1/P(keep) goes on the (B, A, T, D) context instead
        // of the twice-as-large (B, A, T, T) probabilities: (P∘M·s)V = s·((P∘M)V). Under fp32 the scale is already
        // in the mask (scale 1 here), as before.
        using var probabilities = masked.softmax(-1);
        var (kept, scale) = FastDropout.Unscaled(probabilities, _dropout);
        using (kept)
        {
            var context = kept.matmul(v);                                    // (B, A, T, T) @ (B, A, T, D) -> (B, A, T, D)
            if (scale == 1.0) return context;
            using (context) return context.mul(scale);
        }
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
    private readonly FastDropout dropout;

    public ElectraResidualOutput(int inputSize, ElectraConfig config) : base(nameof(ElectraResidualOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor residual)
    {
        using var dense_ = MixedPrecision.Linear(dense, x);
        using var sum = dropout.AddTo(residual, dense_);                     // bf16 branch + fp32 stream -> fp32
        return MixedPrecision.LayerNorm(LayerNorm, sum);
    }
}

public sealed class ElectraAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ElectraSelfAttention self;
    private readonly ElectraResidualOutput output;

    public ElectraAttention(ElectraConfig config) : base(nameof(ElectraAttention))
    {
        self = new ElectraSelfAttention(config);
        output = new ElectraResidualOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        using var attended = self.forward(hidden, keyMask);
        return output.forward(attended, hidden);
    }
}
