// Inverted dropout: x · keep / P(keep). On the CPU the keep mask comes from DropoutRandom (C#-drawn 16-bit
// words; libtorch's own dropout and rand kernels cost more than a small model's matmuls); on CUDA from libtorch's
// generator. A module without parameters, so state-dict names are unaffected.
using static TorchSharp.torch;

namespace ElectraLab.Electra.Modeling;

public sealed class FastDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _p;

    public FastDropout(double p) : base(nameof(FastDropout))
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
        _p = p;
    }

    public override Tensor forward(Tensor x) => Apply(x, _p, training);

    public static Tensor Apply(Tensor x, double p, bool training)
    {
        if (!training || p == 0) return x.alias();
        if (x.device.type == TorchSharp.DeviceType.CPU && x.dtype is ScalarType.Float32 or ScalarType.BFloat16)
        {
            if (x.dtype == ScalarType.BFloat16)
            {
                var (kept, scale) = Unscaled(x, p);
                using (kept) return kept.mul(scale);
            }
            using var multiplier = DropoutRandom.Multiplier(x.shape, x.dtype, p);
            return x.mul(multiplier);
        }
        return Generic(x, p);
    }

    /// <summary>
    /// Dropout without its 1/P(keep) scale, for callers that apply the returned scale to a smaller tensor or fold it
    /// into an addition: a bf16 tensor on the CPU gets an exact 0/1 mask (scaling bf16 in place would round twice);
    /// anything else gets the whole dropout and scale 1.
    /// </summary>
    public static (Tensor Kept, double Scale) Unscaled(Tensor x, double p)
    {
        if (p > 0 && x.device.type == TorchSharp.DeviceType.CPU && x.dtype == ScalarType.BFloat16)
        {
            var (_, drop) = DropoutRandom.Threshold(p);
            using var multiplier = DropoutRandom.Multiplier(x.shape, x.dtype, p);
            return (x.mul(multiplier), 1.0 / (1.0 - drop));
        }
        return (Apply(x, p, training: true), 1.0);
    }

    /// <summary>
    /// residual + dropout(x), the residual connection of a transformer sublayer. For a bf16 branch on the CPU the
    /// 1/P(keep) scale rides on the addition (one fp32 a + s·b pass) instead of a second bf16 multiplication.
    /// </summary>
    public Tensor AddTo(Tensor residual, Tensor x)
    {
        if (!training || _p == 0) return x.add(residual);
        var (kept, scale) = Unscaled(x, _p);
        using (kept) return scale == 1.0 ? kept.add(residual) : residual.add(kept, scale);
    }

    private static Tensor Generic(Tensor x, double p)
    {
        using var uniform = rand_like(x, dtype: x.dtype == ScalarType.BFloat16 ? ScalarType.Float32 : x.dtype);
        using var keep = uniform.ge(p);
        using var scale = keep.to_type(x.dtype).mul_(1.0 / (1.0 - p));
        return x.mul(scale);
    }
}
