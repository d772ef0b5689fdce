using ElectraLab.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Grains.Jobs;

/// <summary>One device a silo offers: "cpu" or "cuda:N", with the libtorch CPU threads a job on it may use.</summary>
public sealed record DeviceSlot(int Index, string Device, int Threads);

/// <summary>The slots this silo discovered at start: one per CUDA device when TorchSharp sees CUDA, else the configured CPU slots.</summary>
public sealed class DeviceSlots(IReadOnlyList<DeviceSlot> slots)
{
    public IReadOnlyList<DeviceSlot> Slots { get; } = slots;

    public static DeviceSlots Discover(SlotOptions options, ILogger logger)
    {
        var cores = Environment.ProcessorCount;
        if (!string.Equals(options.Cuda, "off", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                if (TorchSharp.torch.cuda.is_available())
                {
                    var count = TorchSharp.torch.cuda.device_count();
                    var threads = Math.Max(1, cores / Math.Max(1, count));
                    logger.LogInformation("Found {Count} CUDA device(s): one slot each", count);
                    return new DeviceSlots(Enumerable.Range(0, count).Select(i => new DeviceSlot(i, $"cuda:{i}", threads)).ToList());
                }
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or InvalidOperationException)
            {
                // A silo whose libtorch cannot load still serves the control plane; its CPU slots will fail jobs visibly.
                logger.LogWarning(e, "TorchSharp could not probe CUDA; using CPU slots");
            }
        }
        var cpu = Math.Max(1, options.Cpu);
        var budget = options.ThreadsPerSlot > 0 ? options.ThreadsPerSlot : Math.Max(1, cores / cpu);
        logger.LogInformation("Using {Count} CPU slot(s) with {Threads} thread(s) each", cpu, budget);
        return new DeviceSlots(Enumerable.Range(0, cpu).Select(i => new DeviceSlot(i, "cpu", budget)).ToList());
    }
}
