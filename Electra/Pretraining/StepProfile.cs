// Where a training step's time goes, phase by phase. Each mark synchronises the device, so a profiled run is a
// little slower than an unprofiled one; the benchmark reports both.
using System.Diagnostics;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Pretraining;

public sealed class StepProfile
{
    private readonly Stopwatch _clock = new();
    private readonly Dictionary<string, double> _seconds = new();
    private readonly List<string> _order = [];

    public void Start() => _clock.Restart();

    public void Mark(string phase, Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
        if (!_seconds.ContainsKey(phase)) { _seconds[phase] = 0; _order.Add(phase); }
        _seconds[phase] += _clock.Elapsed.TotalSeconds;
        _clock.Restart();
    }

    public void Reset() { _seconds.Clear(); _order.Clear(); }

    public IReadOnlyList<(string Phase, double Seconds)> Totals => _order.Select(p => (p, _seconds[p])).ToList();
}
