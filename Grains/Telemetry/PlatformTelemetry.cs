using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ElectraLab.Contracts;

namespace ElectraLab.Grains.Telemetry;

/// <summary>
/// The platform's spans and instruments (names in <see cref="TelemetryNames"/>; Observability/ collects and exports
/// them). Instruments cost nothing without a listener; observable ones are read only when a reader collects.
/// Prometheus names: dots become underscores, counters end in _total, and the unit is appended (_seconds, _bytes).
/// </summary>
public static class PlatformTelemetry
{
    public static readonly ActivitySource Source = new(TelemetryNames.ActivitySource);
    public static readonly Meter Meter = new(TelemetryNames.Meter);

    /// <summary>Optimizer steps trained, per job kind (pre-training only today): rate() of it is the cluster's step rate.</summary>
    public static readonly Counter<long> Steps = Meter.CreateCounter<long>("electralab.train.steps", "{step}", "Training steps completed");

    /// <summary>Tokens trained (steps × batch × sequence length, as the trainer counts them for tokens/s).</summary>
    public static readonly Counter<double> Tokens = Meter.CreateCounter<double>("electralab.train.tokens", "{token}", "Tokens trained");

    public static readonly Counter<long> JobOutcomes = Meter.CreateCounter<long>("electralab.job.outcomes", "{attempt}",
        "Job attempts that ended, by kind, state and reason (none, input, worker, error, cancelled)");

    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("electralab.queue.wait", "s",
        "Time from a job's enqueueing to its dispatch to a slot, by team, priority and kind");

    public static readonly Histogram<double> CheckpointWriteDuration = Meter.CreateHistogram<double>("electralab.checkpoint.write.duration", "s",
        "Time to store one checkpoint in PostgreSQL (packing and streaming)");

    public static readonly Counter<long> CheckpointBytes = Meter.CreateCounter<long>("electralab.checkpoint.written", "By",
        "Checkpoint bytes stored");

    private static readonly ConcurrentDictionary<object, Func<IEnumerable<SlotState>>> SlotSources = new();
    private static readonly ConcurrentDictionary<object, Func<IEnumerable<JobGauge>>> JobSources = new();
    private static readonly ConcurrentDictionary<object, QueueCount[]> Queues = new();

    static PlatformTelemetry()
    {
        Meter.CreateObservableGauge("electralab.slots", ObserveSlots, "{slot}", "Device slots per silo and device, busy or free");
        Meter.CreateObservableGauge("electralab.queue.length", ObserveQueue, "{job}", "Jobs waiting for a slot, by team and priority");
        Meter.CreateObservableGauge("electralab.job.tokens_per_second", () => ObserveJobs(j => j.TokensPerSecond), unit: null,
            "A running pre-training job's throughput, as its trainer last reported it");
        Meter.CreateObservableGauge("electralab.job.step", () => ObserveJobs(j => j.Step), "{step}", "A running job's step");
        Meter.CreateObservableGauge("electralab.job.loss", ObserveLosses, unit: null,
            "A running pre-training job's losses as last reported (loss=mlm: the generator's, loss=disc: the discriminator's)");
        Meter.CreateObservableGauge("electralab.job.mfu", () => ObserveJobs(j => j.Mfu), unit: null,
            "A running pre-training job's achieved train FLOP/s over the square-matmul rate its worker measured (0 until known)");
        Meter.CreateObservableGauge("electralab.job.train_flops", () => ObserveJobs(j => j.TrainFlops), "{flop}",
            "A running job's train FLOPs so far (flops_computation.py's count)");
    }

    /// <summary>A slot as the gauges see it.</summary>
    public readonly record struct SlotState(string Silo, string Device, bool Busy);

    /// <summary>A running job as the gauges see it.</summary>
    public readonly record struct JobGauge(Guid ExperimentId, Guid JobId, string Kind, string Silo, string Device, long Step,
        double TrainFlops, double TokensPerSecond, double MlmLoss = double.NaN, double DiscLoss = double.NaN, double Mfu = 0);

    public readonly record struct QueueCount(string Team, int Priority, int Count);

    /// <summary>A job runner's slots and jobs, observed until the returned handle is disposed.</summary>
    public static IDisposable Observe(Func<IEnumerable<SlotState>> slots, Func<IEnumerable<JobGauge>> jobs)
    {
        var key = new object();
        SlotSources[key] = slots;
        JobSources[key] = jobs;
        return new Unregister(key);
    }

    /// <summary>A scheduler's queue, as of its last change (reported by the silo that hosts the scheduler).</summary>
    public static void SetQueue(object scheduler, IEnumerable<QueueCount> counts) => Queues[scheduler] = counts.ToArray();

    /// <summary>The scheduler left this silo (deactivated): another silo reports the queue from now on.</summary>
    public static void ClearQueue(object scheduler) => Queues.TryRemove(scheduler, out _);

    private static IEnumerable<Measurement<int>> ObserveSlots() =>
        SlotSources.Values.SelectMany(source => source())
            .GroupBy(s => (s.Silo, s.Device))
            .SelectMany(g => new[]
            {
                new Measurement<int>(g.Count(s => s.Busy), Tag("silo", g.Key.Silo), Tag("device", g.Key.Device), Tag("state", "busy")),
                new Measurement<int>(g.Count(s => !s.Busy), Tag("silo", g.Key.Silo), Tag("device", g.Key.Device), Tag("state", "free")),
            });

    private static IEnumerable<Measurement<int>> ObserveQueue() =>
        Queues.Values.SelectMany(queue => queue).Select(q => new Measurement<int>(q.Count, Tag("team", q.Team), Tag("priority", q.Priority)));

    private static IEnumerable<Measurement<double>> ObserveJobs(Func<JobGauge, double> value) =>
        JobSources.Values.SelectMany(source => source()).Select(j => new Measurement<double>(value(j),
            Tag("experiment", j.ExperimentId.ToString()), Tag("job", j.JobId.ToString()), Tag("kind", j.Kind),
            Tag("silo", j.Silo), Tag("device", j.Device)));

    private static IEnumerable<Measurement<double>> ObserveLosses() =>
        JobSources.Values.SelectMany(source => source()).SelectMany(j => new[] { ("mlm", j.MlmLoss), ("disc", j.DiscLoss) }
            .Where(l => !double.IsNaN(l.Item2))
            .Select(l => new Measurement<double>(l.Item2, Tag("experiment", j.ExperimentId.ToString()), Tag("job", j.JobId.ToString()),
                Tag("kind", j.Kind), Tag("silo", j.Silo), Tag("device", j.Device), Tag("loss", l.Item1))));

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private sealed class Unregister(object key) : IDisposable
    {
        public void Dispose()
        {
            SlotSources.TryRemove(key, out _);
            JobSources.TryRemove(key, out _);
        }
    }
}
