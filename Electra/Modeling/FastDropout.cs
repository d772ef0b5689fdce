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
            using var multiplier = DropoutRandom.Multiplier(x.shape, x.dtype, p);
            if (x.dtype == ScalarType.Float32) return x.mul(multiplier);
            var (_, drop) = DropoutRandom.Threshold(p);
            using var kept = x.mul(multiplier);
            return kept.mul(1.0 / (1.0 - drop));
        }
        using var uniform = rand_like(x, dtype: x.dtype == ScalarType.BFloat16 ? ScalarType.Float32 : x.dtype);
        using var keep = uniform.ge(p);
        using var scale = keep.to_type(x.dtype).mul_(1.0 / (1.0 - p));
        return x.mul(scale);
    }
}
