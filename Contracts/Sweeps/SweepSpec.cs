namespace ElectraLab.Contracts.Sweeps;

/// <summary>
/// A submitted sweep: a base pre-training config, a search space, replication seeds, the evaluations to run on each
/// result, and how to schedule it. Written as YAML or JSON (examples/sweep.yaml); parsed and validated by the grains'
/// SweepSpecLoader, which names the offending field on any error.
/// </summary>
[GenerateSerializer, Immutable, Alias("electralab.SweepSpec")]
public sealed record SweepSpec(
    string Name,
    string Team,
    /// <summary>A JSON object of pre-training keys (the official names: model_size, mask_prob, ...).</summary>
    string BaseConfigJson,
    SearchSpace Search,
    /// <summary>Pre-training seeds: every trial runs once per seed.</summary>
    long[] Seeds,
    /// <summary>Fine-tuning seeds: every evaluation fine-tunes once per seed and reports the median.</summary>
    int[] FinetuneSeeds,
    EvaluationSpec Evaluations,
    int Priority,
    EarlyStoppingSpec? EarlyStopping,
    CheckpointSpec Checkpoints,
    int MaxAttempts,
    WorkloadSpec Workload);

/// <summary>
/// Grid (cartesian product of <see cref="Grid"/>) or random (<see cref="MaxTrials"/> draws), capped at MaxTrials.
/// <see cref="Baseline"/> adds one more trial that is not pre-trained (num_train_steps 0: its initial weights are
/// evaluated), the row every arm is compared with.
/// </summary>
[GenerateSerializer, Immutable, Alias("electralab.SearchSpace")]
public sealed record SearchSpace(string Method, int? MaxTrials, long Seed, GridParameter[] Grid, RandomParameter[] Random, bool Baseline = false)
{
    public const string GridMethod = "grid";
    public const string RandomMethod = "random";

    public static SearchSpace None { get; } = new(GridMethod, null, 0, [], []);
}

/// <summary>One grid axis: a pre-training key and its values, each as JSON text.</summary>
[GenerateSerializer, Immutable, Alias("electralab.GridParameter")]
public sealed record GridParameter(string Key, string[] ValuesJson);

/// <summary>One random axis: uniform, log_uniform or int_uniform over [Min, Max].</summary>
[GenerateSerializer, Immutable, Alias("electralab.RandomParameter")]
public sealed record RandomParameter(string Key, string Distribution, double Min, double Max);

/// <summary>
/// What to measure on each pre-trained model: GLUE tasks and/or a SQuAD version at the final checkpoint, and the same
/// at every FLOP milestone the run passes. <see cref="FinetuneConfigJson"/> passes settings to the fine-tuner.
/// Each evaluation keeps its median seed's fine-tuned model; <see cref="KeepAllSeeds"/> keeps every seed's.
/// </summary>
[GenerateSerializer, Immutable, Alias("electralab.EvaluationSpec")]
public sealed record EvaluationSpec(string[] GlueTasks, string? SquadVersion, double[] FlopMilestones, string? FinetuneConfigJson,
    bool KeepAllSeeds = false)
{
    public static EvaluationSpec None { get; } = new([], null, [], null);

    public IEnumerable<string> Tasks => SquadVersion is null ? GlueTasks : GlueTasks.Append($"squad{SquadVersion.Split('.')[0]}");
}

/// <summary>
/// Early stopping on a metric the pre-training run writes (e.g. disc_loss), decided at each rung step.
/// median: stop a run whose value is worse than the median of the other runs' values at the same rung.
/// asha: keep a run only while its value is in the top 1/<see cref="ReductionFactor"/> of the values at the rung.
/// Nothing stops before <see cref="MinExperiments"/> other runs have reported at that rung.
/// </summary>
[GenerateSerializer, Immutable, Alias("electralab.EarlyStoppingSpec")]
public sealed record EarlyStoppingSpec(string Rule, string Metric, string Mode, long[] Rungs, double ReductionFactor, int MinExperiments)
{
    public const string Median = "median";
    public const string Asha = "asha";
    public bool LowerIsBetter => Mode == "min";
}

/// <summary>Save a resumable checkpoint every <see cref="Interval"/> steps (and at the end); keep the last <see cref="KeepLast"/>.</summary>
[GenerateSerializer, Immutable, Alias("electralab.CheckpointSpec")]
public sealed record CheckpointSpec(int Interval, int KeepLast);

/// <summary>
/// What the jobs do: "electra" (pre-train and evaluate; the default) or "noop" (a platform test workload that holds
/// its slot for <see cref="NoopMilliseconds"/> and does nothing, for measuring scheduling overhead).
/// </summary>
[GenerateSerializer, Immutable, Alias("electralab.WorkloadSpec")]
public sealed record WorkloadSpec(string Kind, int NoopMilliseconds)
{
    public const string Electra = "electra";
    public const string Noop = "noop";
    public static WorkloadSpec Default { get; } = new(Electra, 0);
}

/// <summary>The one source of a sweep spec's defaults: the loader fills omitted fields from here, and so does a fork.</summary>
public static class SweepDefaults
{
    public const int Priority = 0;
    public const int MaxAttempts = 3;
    public const long PretrainingSeed = 1;
    public const int FinetuningSeed = 1;
    public const int CheckpointInterval = 1000;
    public const int CheckpointsKept = 2;

    public static CheckpointSpec Checkpoints => new(CheckpointInterval, CheckpointsKept);
}
