namespace ElectraLab.Contracts;

/// <summary>
/// The names every process shares for its telemetry, so one OpenTelemetry set-up (Observability/) collects all of it:
/// each project creates its own ActivitySource and Meter under these names (System.Diagnostics; no package).
/// </summary>
public static class TelemetryNames
{
    /// <summary>Spans: sweep submission, scheduling, job attempts, checkpoint writes, evaluations.</summary>
    public const string ActivitySource = "ElectraLab";

    /// <summary>Instruments, exported to Prometheus with the electralab_ prefix their names carry.</summary>
    public const string Meter = "ElectraLab";

    /// <summary>
    /// One log line per submission, job start, finish and failure, at Information: what `electralab up` shows on its
    /// console, and what an operator greps for.
    /// </summary>
    public const string ActivityLogCategory = "ElectraLab.Activity";
}
