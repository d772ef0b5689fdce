namespace ElectraLab.Electra.Finetuning;

/// <summary>
/// One progress report of a fine-tuning run. Phase is "train" (Loss and LearningRate are the averages since the
/// last report) or "eval" (Step counts evaluated examples). Seed index and count place it in a seed sweep.
/// </summary>
public sealed record FinetuningProgress(
    long Seed,
    int SeedIndex,
    int SeedCount,
    string Phase,
    long Step,
    long TotalSteps,
    double Loss,
    double LearningRate,
    double ExamplesPerSecond,
    TimeSpan Elapsed);
