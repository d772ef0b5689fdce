using Orleans.Concurrency;

using ElectraLab.Contracts.Scheduling;

namespace ElectraLab.Contracts.Experiments;

/// <summary>
/// One experiment, keyed by its id: owns its jobs' lifecycle (queue, start, heartbeat, finish, retry) and checks
/// heartbeats from a reminder, so a job whose silo died is re-queued even if this grain's own silo died with it.
/// </summary>
public interface IExperimentGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Persists the spec and its first job, and returns the job for the caller (the sweep) to queue, so a sweep queues
    /// its experiments in one ordered batch. Null when already started. The experiment's reminder re-queues a queued
    /// job that never reached the scheduler.
    /// </summary>
    Task<JobRequest?> StartAsync(ExperimentSpec spec);

    Task<ExperimentStatus> GetStatusAsync();

    /// <summary>What a job runner needs to run one of this experiment's jobs.</summary>
    Task<JobPayload> GetJobPayloadAsync(Guid jobId);

    /// <summary>A runner started a dispatch of a job. False: the dispatch is stale or the experiment is over; do not run it.</summary>
    Task<bool> JobStartedAsync(JobStarted started);

    /// <summary>Liveness and progress of a running job. False: stop the job (cancelled, stopped early or superseded).</summary>
    Task<bool> HeartbeatAsync(JobHeartbeat heartbeat);

    /// <summary>A pre-training run passed a FLOP milestone and saved a checkpoint at <see cref="JobHeartbeat.Step"/>: queue its evaluations.</summary>
    Task MilestoneReachedAsync(Guid jobId, Guid dispatchId, long step);

    Task JobFinishedAsync(JobOutcome outcome);

    /// <summary>The scheduler lost the silo a dispatch was sent to (one-way: the scheduler never waits on experiments).</summary>
    [OneWay]
    Task JobLostAsync(Guid jobId, Guid dispatchId, string reason);

    /// <summary>Cancels the experiment; a running job is stopped at its next step.</summary>
    [OneWay]
    Task CancelAsync(string reason);

    /// <summary>The sweep's early-stopping rule stopped this experiment.</summary>
    [OneWay]
    Task StopEarlyAsync(string reason);
}
