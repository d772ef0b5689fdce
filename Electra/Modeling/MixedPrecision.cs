// bf16 mixed precision without an autocast (TorchSharp 0.107 has none): the model's forward asks this class for
// its matmuls, norms and softmaxes. Under Bf16Mixed, linear layers run in bfloat16 on bf16 copies of the fp32
// master weights (autograd returns fp32 gradients to the masters); LayerNorm, softmax and losses run in fp32;
// additions of a bf16 branch to the fp32 residual stream promote to fp32, as torch.autocast would. Under fp32
// every call is the plain fp32 op, so the fp32 path (and its Hugging Face parity) is unchanged.
// The mode is per thread, like dispose scopes: training runs synchronously on its own thread.
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElectraLab.Electra.Modeling;

public static class MixedPrecision
{
    [ThreadStatic] private static ScalarType? _compute;

    /// <summary>The dtype matmuls run in on this thread: null = fp32 everywhere.</summary>
    public static ScalarType? Compute => _compute;

    /// <summary>Runs the forward passes inside the returned scope in <paramref name="dtype"/> (null = fp32).</summary>
    public static IDisposable Use(ScalarType? dtype)
    {
        var previous = _compute;
        _compute = dtype;
        return new Restore(previous);
    }

    private sealed class Restore(ScalarType? previous) : IDisposable
    {
        public void Dispose() => _compute = previous;
    }

    /// <summary>y = x·Wᵀ + b, in the compute dtype.</summary>
    public static Tensor Linear(Linear linear, Tensor x) =>
        _compute is null ? linear.forward(x) : Linear(x, linear.weight!, linear.bias);

    /// <summary>y = x·Wᵀ + b for weights that are not one Linear module's (e.g. concatenated), in the compute dtype.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        if (_compute is not { } dtype) return F.linear(x, weight, bias);
        using var w = weight.to_type(dtype);
        using var b = bias?.to_type(dtype);
        using var input = x.dtype == dtype ? x.alias() : x.to_type(dtype);
        return F.linear(input, w, b);
    }

    /// <summary>LayerNorm in fp32 (statistics and output), whatever the input dtype.</summary>
    public static Tensor LayerNorm(LayerNorm norm, Tensor x)
    {
        if (_compute is null || x.dtype == ScalarType.Float32) return norm.forward(x);
        using var wide = x.to_type(ScalarType.Float32);
        return norm.forward(wide);
    }

    /// <summary>Casts to the compute dtype (identity under fp32).</summary>
    public static Tensor ToCompute(Tensor x) => _compute is { } dtype && x.dtype != dtype ? x.to_type(dtype) : x.alias();

    /// <summary>Casts to fp32 for reductions (softmax, losses).</summary>
    public static Tensor ToFloat(Tensor x) => x.dtype == ScalarType.Float32 ? x.alias() : x.to_type(ScalarType.Float32);
}
