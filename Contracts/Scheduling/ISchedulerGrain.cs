namespace ElectraLab.Contracts.Scheduling;

/// <summary>
/// The cluster's job queue (key <see cref="DefaultKey"/>): holds queued jobs durably, knows every worker's slots, and
/// assigns jobs to free slots by priority and fair share between teams. Only scheduling goes through it: metrics,
/// checkpoints and heartbeats never do.
/// </summary>
public interface ISchedulerGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default";

    /// <summary>Queues a job unless it is already queued or running. Idempotent: experiments re-enqueue to reconcile.</summary>
    Task EnqueueAsync(JobRequest job);

    /// <summary>Queues several jobs in order, then dispatches once.</summary>
    Task EnqueueManyAsync(JobRequest[] jobs);

    /// <summary>Removes a job from the queue, or frees its slot (only for <paramref name="dispatchId"/> when given).</summary>
    Task ReleaseAsync(Guid jobId, Guid? dispatchId);

    /// <summary>A worker's slots and their jobs; renews its lease.</summary>
    Task ReportWorkerAsync(WorkerReport report);

    Task<SchedulerSnapshot> GetSnapshotAsync();
}

/// <summary>
/// One per silo (keyed by the silo's address, placed on that silo): owns the silo's device slots and starts and
/// cancels jobs on the silo's job runner. Never calls other grains, so it can interleave freely.
/// </summary>
public interface IWorkerGrain : IGrainWithStringKey
{
    /// <summary>Hands a job to the local runner. False when the slot is busy.</summary>
    Task<bool> StartJobAsync(JobAssignment assignment);

    Task<bool> CancelJobAsync(Guid dispatchId, string reason);

    Task<SlotInfo[]> GetSlotsAsync();
}
