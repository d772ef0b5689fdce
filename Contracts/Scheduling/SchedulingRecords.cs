using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;

namespace ElectraLab.Contracts.Scheduling;

/// <summary>A job waiting for a slot. Higher <see cref="Priority"/> runs first; equal priorities share slots fairly by team.</summary>
[GenerateSerializer, Immutable, Alias("electralab.JobRequest")]
public sealed record JobRequest(
    Guid JobId,
    Guid ExperimentId,
    Guid SweepId,
    string Team,
    int Priority,
    JobKind Kind,
    string? Task,
    DateTimeOffset EnqueuedAt);

/// <summary>A job sent to one slot of one silo. <see cref="DispatchId"/> names this attempt, so stale reports are ignored.</summary>
[GenerateSerializer, Immutable, Alias("electralab.JobAssignment")]
public sealed record JobAssignment(JobRequest Job, Guid DispatchId, string Silo, int Slot, DateTimeOffset AssignedAt);

/// <summary>A device slot a silo offers: "cpu" or "cuda:N", with its CPU thread budget.</summary>
[GenerateSerializer, Immutable, Alias("electralab.SlotInfo")]
public sealed record SlotInfo(string Silo, int Index, string Device, int Threads, Guid? RunningJob, Guid? RunningDispatch);

/// <summary>A worker's periodic report: its slots and what they run. Keeps its lease with the scheduler.</summary>
[GenerateSerializer, Immutable, Alias("electralab.WorkerReport")]
public sealed record WorkerReport(string Silo, SlotInfo[] Slots, DateTimeOffset ReportedAt);

[GenerateSerializer, Immutable, Alias("electralab.SchedulerSnapshot")]
public sealed record SchedulerSnapshot(JobRequest[] Queued, JobAssignment[] Running, SlotInfo[] Slots, long Dispatched);

/// <summary>Everything a runner needs for one job, fetched from the experiment when the job starts.</summary>
[GenerateSerializer, Immutable, Alias("electralab.JobPayload")]
public sealed record JobPayload(
    Guid ExperimentId,
    Guid SweepId,
    Guid JobId,
    JobKind Kind,
    string? Task,
    long? CheckpointStep,
    string ConfigJson,
    int[] FinetuneSeeds,
    EvaluationSpec Evaluations,
    EarlyStoppingSpec? EarlyStopping,
    CheckpointSpec Checkpoints,
    WorkloadSpec Workload,
    // The W3C trace context of the sweep's submission: every attempt's span joins that trace (null: tracing was off).
    string? TraceParent = null);

[GenerateSerializer, Immutable, Alias("electralab.JobStarted")]
public sealed record JobStarted(Guid JobId, Guid DispatchId, string Silo, int Slot, string Device, long? ResumedFromStep);

[GenerateSerializer, Immutable, Alias("electralab.JobHeartbeat")]
/// <param name="Detail">what the job is doing in words (a fine-tuning job: task, seed and phase), or null</param>
public sealed record JobHeartbeat(Guid JobId, Guid DispatchId, long Step, double TrainFlops, string? Detail = null);

/// <summary>
/// How a dispatch ended. <see cref="State"/> is Succeeded, Failed, Cancelled or StoppedEarly. <see cref="Permanent"/>: the
/// failure came from the job's input (a missing dataset, an invalid config), so another attempt would fail the same way.
/// </summary>
[GenerateSerializer, Immutable, Alias("electralab.JobOutcome")]
public sealed record JobOutcome(Guid JobId, Guid DispatchId, JobState State, long Step, double TrainFlops, string? Error, bool Permanent = false);
