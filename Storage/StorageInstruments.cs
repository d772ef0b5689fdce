using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ElectraLab.Storage.Logs;
using ElectraLab.Storage.Metrics;

namespace ElectraLab.Storage;

/// <summary>
/// Ingestion as instruments: the metric writer's points written, buffered, spilled and failed, and the job-log writer's
/// lines written, buffered and dropped, summed over the live writers of the process (each registers itself), read only
/// when a metrics reader collects. Meter "ElectraLab" (Contracts' TelemetryNames.Meter; Storage does not reference
/// Contracts), exported by the Observability set-up as electralab_metric_writer_* and electralab_job_log_*.
/// </summary>
public static class StorageInstruments
{
    public const string MeterName = "ElectraLab";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<MetricWriter, byte> MetricWriters = new();
    private static readonly ConcurrentDictionary<JobLogWriter, byte> LogWriters = new();

    static StorageInstruments()
    {
        Meter.CreateObservableCounter("electralab.metric_writer.written", () => MetricWriters.Keys.Sum(w => w.Inserted), "{point}",
            "Metric points stored in PostgreSQL");
        Meter.CreateObservableGauge("electralab.metric_writer.buffered", () => MetricWriters.Keys.Sum(w => w.Buffered), "{point}",
            "Metric points accepted and not yet stored (in memory or spilled to disk)");
        Meter.CreateObservableCounter("electralab.metric_writer.spilled", () => MetricWriters.Keys.Sum(w => w.Spilled), "{point}",
            "Metric points that went to the spill folder while the memory buffer was full");
        Meter.CreateObservableCounter("electralab.metric_writer.failed", () => MetricWriters.Keys.Sum(w => w.Failed), "{point}",
            "Metric points dropped after a batch failed for a reason that is not transient");
        Meter.CreateObservableCounter("electralab.job_log.written", () => LogWriters.Keys.Sum(w => w.Written), "{line}",
            "Job log lines stored in PostgreSQL");
        Meter.CreateObservableGauge("electralab.job_log.buffered", () => LogWriters.Keys.Sum(w => w.Buffered), "{line}",
            "Job log lines waiting to be stored");
        Meter.CreateObservableCounter("electralab.job_log.dropped", () => LogWriters.Keys.Sum(w => w.Dropped), "{line}",
            "Job log lines dropped (queue full during a long outage, or a batch that could not be written)");
    }

    internal static void Track(MetricWriter writer) => MetricWriters[writer] = 0;

    internal static void Untrack(MetricWriter writer) => MetricWriters.TryRemove(writer, out _);

    internal static void Track(JobLogWriter writer) => LogWriters[writer] = 0;

    internal static void Untrack(JobLogWriter writer) => LogWriters.TryRemove(writer, out _);
}
