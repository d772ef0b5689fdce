// BERT's "AdamWeightDecay", the optimizer of the official code (E-opt L113-133): Adam WITHOUT bias correction,
// β1 0.9, β2 0.999, ε 1e-6, and weight decay added to the update (decoupled, not to the gradient), skipped for
// LayerNorm weights and biases. Per-parameter learning-rate scales carry fine-tuning's layer-wise decay. On the CPU
// the update (with the clipping before it) runs fused over raw memory (FusedCpuUpdate); elsewhere through libtorch.
using ElectraLab.Electra.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Training;

public sealed class AdamWeightDecay : IDisposable
{
    public const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-6;

    private readonly List<Slot> _slots;
    private readonly double _weightDecay;

    private sealed record Slot(string Name, Parameter Parameter, Tensor M, Tensor V, bool Decay, double LrScale);

    /// <param name="parameters">each parameter once, with its state-dict name</param>
    /// <param name="lrScale">per-parameter learning-rate multiplier (1 when null)</param>
    public AdamWeightDecay(IEnumerable<(string Name, Parameter Parameter)> parameters, double weightDecay, Func<string, double>? lrScale = null)
    {
        _weightDecay = weightDecay;
        _slots = parameters.Select(p => new Slot(p.Name, p.Parameter,
            zeros_like(p.Parameter).requires_grad_(false), zeros_like(p.Parameter).requires_grad_(false),
            ExcludedFromDecay(p.Name) ? false : true, lrScale?.Invoke(p.Name) ?? 1.0)).ToList();
    }

    /// <summary>E-opt L50-56: exclude_from_weight_decay=["LayerNorm", "layer_norm", "bias"].</summary>
    public static bool ExcludedFromDecay(string name) =>
        name.Contains("LayerNorm", StringComparison.Ordinal) || name.Contains("layer_norm", StringComparison.Ordinal) || name.Contains("bias", StringComparison.Ordinal);

    public IReadOnlyList<string> Names => _slots.Select(s => s.Name).ToList();

    /// <summary>One update of every parameter that has a gradient; parameters without one (frozen) are skipped.</summary>
    public void Step(double learningRate)
    {
        using var _ = no_grad();
        foreach (var slot in _slots)
        {
            var grad = slot.Parameter.grad;
            if (grad is null) continue;
            slot.M.mul_(Beta1).add_(grad, 1 - Beta1);
            slot.V.mul_(Beta2).addcmul_(grad, grad, 1 - Beta2);
            double lr = learningRate * slot.LrScale;
            // p −= lr·(m / (√v + ε) + wd·p), written as p·(1 − lr·wd) − lr·m / (√v + ε): the same update with one
            // temporary instead of three.
            using var denominator = slot.V.sqrt().add_(Epsilon);
            if (slot.Decay && _weightDecay != 0) slot.Parameter.mul_(1 - lr * _weightDecay);
            slot.Parameter.addcdiv_(slot.M, denominator, -lr);
        }
    }

    /// <summary>
    /// tf.clip_by_global_norm(grads, <paramref name="clipNorm"/>) then <see cref="Step"/>, as the official train op
    /// does. When every parameter and gradient is a contiguous fp32 CPU tensor, both run fused over raw memory
    /// (<see cref="FusedCpuUpdate"/>) and the gradients are left unscaled; otherwise through libtorch.
    /// </summary>
    public void ClipAndStep(double learningRate, double clipNorm)
    {
        var buffers = CpuBuffers();
        if (buffers is null)
        {
            using var scope = NewDisposeScope();
            GradientClipping.ClipByGlobalNorm(_slots.Select(s => s.Parameter), clipNorm);
            Step(learningRate);
            return;
        }
        FusedCpuUpdate.ClipAndUpdate(buffers, clipNorm, learningRate, _weightDecay, Math.Max(1, get_num_threads()));
        // The buffers are raw addresses into the slots' tensors: their wrappers must outlive the update.
        GC.KeepAlive(_slots);
    }

    /// <summary>The raw fp32 memory of every parameter with a gradient, or null when any is not a contiguous CPU fp32 tensor.</summary>
    private List<FusedCpuUpdate.Buffers>? CpuBuffers()
    {
        var buffers = new List<FusedCpuUpdate.Buffers>(_slots.Count);
        foreach (var slot in _slots)
        {
            using var grad = slot.Parameter.grad;
            if (grad is null) continue;
            Tensor[] all = [slot.Parameter, grad, slot.M, slot.V];
            if (all.Any(t => t.device_type != TorchSharp.DeviceType.CPU || t.dtype != ScalarType.Float32 || !t.is_contiguous()))
                return null;
            buffers.Add(new FusedCpuUpdate.Buffers(TensorStorage.DataAddress(slot.Parameter), TensorStorage.DataAddress(grad),
                TensorStorage.DataAddress(slot.M), TensorStorage.DataAddress(slot.V), slot.Parameter.numel(), slot.Decay, slot.LrScale));
        }
        return buffers;
    }

    public void ZeroGrad()
    {
        foreach (var slot in _slots) slot.Parameter.grad = null;
    }

    /// <summary>Moments by parameter name, for checkpoints: "m/&lt;name&gt;" and "v/&lt;name&gt;".</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> State() =>
        _slots.SelectMany(s => new[] { KeyValuePair.Create("m/" + s.Name, s.M), KeyValuePair.Create("v/" + s.Name, s.V) });

    public void LoadState(Func<string, Tensor, bool> readInto)
    {
        foreach (var slot in _slots)
        {
            if (!readInto("m/" + slot.Name, slot.M) || !readInto("v/" + slot.Name, slot.V))
                throw new InvalidDataException($"optimizer state has no moments for '{slot.Name}'");
        }
    }

    public void Dispose()
    {
        foreach (var slot in _slots) { slot.M.Dispose(); slot.V.Dispose(); }
    }
}
