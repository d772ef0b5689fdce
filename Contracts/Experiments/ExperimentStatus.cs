using ElectraLab.Contracts.Sweeps;

namespace ElectraLab.Contracts.Experiments;

/// <summary>Queued → Pretraining → Evaluating → Completed, or Failed / Cancelled / StoppedEarly.</summary>
[GenerateSerializer, Alias("electralab.ExperimentState")]
public enum ExperimentState
{
    Created = 0,
    Queued = 1,
    Pretraining = 2,
    Evaluating = 3,
    Completed = 4,
    Failed = 5,
    Cancelled = 6,
    StoppedEarly = 7,
}

public static class ExperimentStates
{
    public static bool IsTerminal(this ExperimentState state) =>
        state is ExperimentState.Completed or ExperimentState.Failed or ExperimentState.Cancelled or ExperimentState.StoppedEarly;

    /// <summary>The one spelling of a state: in PostgreSQL (experiments.status), on the wire, in the CLI and the pages.</summary>
    public static string ToStorageName(this ExperimentState state) => state switch
    {
        ExperimentState.StoppedEarly => "stopped-early",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>The spellings of the states an experiment never leaves.</summary>
    public static IReadOnlyList<string> TerminalNames { get; } =
        Enum.GetValues<ExperimentState>().Where(s => s.IsTerminal()).Select(s => s.ToStorageName()).ToArray();
}

public static class JobStates
{
    /// <summary>The one spelling of a job's state (jobs.status), "stopped-early" like an experiment's.</summary>
    public static string ToStorageName(this JobState state) => state switch
    {
        JobState.StoppedEarly => "stopped-early",
        _ => state.ToString().ToLowerInvariant(),
    };
}

[GenerateSerializer, Alias("electralab.JobKind")]
public enum JobKind
{
    Pretrain = 0,
    FinetuneEval = 1,
    Noop = 2,
}

[GenerateSerializer, Alias("electralab.JobState")]
public enum JobState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
    StoppedEarly = 5,
}

/// <summary>What the sweep grain sends to start an experiment: one trial at one pre-training seed.</summary>
[GenerateSerializer, Immutable, Alias("electralab.ExperimentSpec")]
public sealed record ExperimentSpec(
    Guid ExperimentId,
    Guid SweepId,
    string Team,
    string Name,
    int Index,
    /// <summary>The resolved pre-training config (JSON, official key names).</summary>
    string ConfigJson,
    long Seed,
    int Priority,
    EvaluationSpec Evaluations,
    int[] FinetuneSeeds,
    EarlyStoppingSpec? EarlyStopping,
    CheckpointSpec Checkpoints,
    int MaxAttempts,
    WorkloadSpec Workload);

[GenerateSerializer, Immutable, Alias("electralab.JobStatus")]
public sealed record JobStatus(
    Guid JobId,
    JobKind Kind,
    string? Task,
    long? CheckpointStep,
    JobState State,
    int Attempts,
    string? Silo,
    string? Device,
    long Step,
    long? ResumedFromStep,
    DateTimeOffset EnqueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    /// <summary>While running: what the job is doing in words (a fine-tuning job's task, seed and phase).</summary>
    string? Detail = null);

[GenerateSerializer, Immutable, Alias("electralab.ExperimentStatus")]
public sealed record ExperimentStatus(
    Guid ExperimentId,
    Guid SweepId,
    string Name,
    string Team,
    ExperimentState State,
    /// <summary>Why the experiment is where it is: the last error, the cancel reason, the early-stop decision.</summary>
    string? Reason,
    long Step,
    double TrainFlops,
    JobStatus[] Jobs,
    /// <summary>Pre-training speed from the running job's heartbeats (smoothed); 0 when nothing is training.</summary>
    double StepsPerSecond = 0);
