namespace ElectraLab.Storage.Checkpoints;

/// <summary>
/// Keep the <paramref name="KeepLast"/> most recent checkpoints and the <paramref name="KeepBest"/> best by the metric
/// <paramref name="Metric"/> (its latest value at or before the checkpoint's step); delete the rest.
/// </summary>
public sealed record RetentionPolicy(int KeepLast, int KeepBest = 0, string? Metric = null, bool HigherIsBetter = false,
    string Kind = Entities.Checkpoint.TrainingState);

public sealed record RetentionResult(IReadOnlyList<Guid> Deleted, long BytesFreed);
