using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;

namespace ElectraLab.Grains.Jobs;

/// <summary>One dispatch on a slot: its cancellation, the progress its heartbeats report, and why it was stopped.</summary>
internal sealed class RunningJob(JobAssignment assignment, CancellationToken stopping, JobAttemptLog? log = null) : IDisposable
{
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private long _step;
    private double _flops;
    private string? _reason;

    public JobAssignment Assignment { get; } = assignment;

    /// <summary>This attempt's log, kept with the experiment.</summary>
    public JobAttemptLog Log { get; } = log ?? new JobAttemptLog(null, assignment);
    public CancellationToken Token => _cancel.Token;

    /// <summary>The silo is shutting down (rather than the experiment cancelling this job).</summary>
    public bool SiloStopping => stopping.IsCancellationRequested;

    public long Step => Interlocked.Read(ref _step);
    public double TrainFlops => Volatile.Read(ref _flops);

    public void Progress(long step, double flops)
    {
        Interlocked.Exchange(ref _step, step);
        Volatile.Write(ref _flops, flops);
    }

    public void Cancel(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The job already ended.
        }
    }

    public JobOutcome Stopped(long step, double flops) =>
        new(Assignment.Job.JobId, Assignment.DispatchId, JobState.Cancelled, step, flops, _reason ?? "cancelled");

    public JobOutcome Outcome(JobState state, long step, double flops, string? error = null, bool permanent = false) =>
        new(Assignment.Job.JobId, Assignment.DispatchId, state, step, flops, error, permanent);

    public void Dispose() => _cancel.Dispose();
}
