// The ceiling every throughput number is quoted against: the rate of a large square matmul in this process,
// on this device, in this dtype, with the same thread count.
using System.Diagnostics;
using static TorchSharp.torch;

namespace ElectraLab.Electra;

public static class MatmulRate
{
    /// <summary>GFLOP/s of an n×n×n matmul (2n³ FLOPs), best of several timed rounds after a warm-up.</summary>
    public static double Measure(Device device, ScalarType dtype, int? size = null, double seconds = 1.0)
    {
        // 1024³ saturates two CPU cores; a GPU needs a much larger problem to reach its peak.
        int n = size ?? (device.type == TorchSharp.DeviceType.CUDA ? 8192 : 1024);
        using var scope = NewDisposeScope();
        var a = randn(n, n, device: device).to_type(dtype);
        var b = randn(n, n, device: device).to_type(dtype);
        for (int i = 0; i < 3; i++) a.matmul(b).Dispose();
        Sync(device);
        double best = 0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || best == 0)
        {
            var clock = Stopwatch.StartNew();
            const int reps = 4;
            for (int i = 0; i < reps; i++) a.matmul(b).Dispose();
            Sync(device);
            best = Math.Max(best, reps * 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static void Sync(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
    }
}
