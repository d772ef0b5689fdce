// tf.clip_by_global_norm (E-opt L62): every gradient times clip / max(global_norm, clip). Kept on the device:
// no item() here, so clipping costs no synchronisation. Training calls AdamWeightDecay.ClipAndStep, which uses this
// on GPUs and a fused pass (FusedCpuUpdate) on the CPU.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Training;

public static class GradientClipping
{
    /// <summary>Scales the gradients in place; returns the global norm before clipping as a device scalar.</summary>
    public static Tensor ClipByGlobalNorm(IEnumerable<Parameter> parameters, double clipNorm)
    {
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return zeros(1);
        using var squares = stack(grads.Select(g => g.to_type(ScalarType.Float32).square().sum()));
        var norm = squares.sum().sqrt();
        using var scale = clipNorm / norm.clamp_min(clipNorm);
        foreach (var g in grads) g.mul_(scale.to_type(g.dtype));
        return norm;
    }
}
