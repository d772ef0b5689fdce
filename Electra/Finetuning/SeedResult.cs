namespace ElectraLab.Electra.Finetuning;

/// <summary>
/// One fine-tuning seed's outcome: its dev metrics (GLUE as fractions, SQuAD in percent, as the official scorers
/// print them; null = undefined), its training, and the prediction files it wrote (names inside its folder).
/// </summary>
public sealed record SeedResult(
    long Seed,
    IReadOnlyDictionary<string, double?> Metrics,
    TrainingSummary Training,
    TimeSpan EvalTime,
    IReadOnlyList<string> PredictionFiles);

/// <summary>A task's fine-tuner: data loaded and encoded once, then any number of seeds from the same backbone.</summary>
public interface ISeedFinetuner
{
    /// <summary>The metric the median seed and the headline are chosen by (GLUE: the paper's per-task metric; SQuAD: f1).</summary>
    string MainMetric { get; }

    /// <summary>Counts of what was loaded (train examples, features, dev examples, skipped rows), for results.json.</summary>
    IReadOnlyDictionary<string, long> DataSummary { get; }

    /// <summary>
    /// Fine-tunes from the backbone with <paramref name="seed"/>, scores dev, writes predictions into <paramref name="outputDir"/>
    /// and, when <paramref name="modelDirectory"/> is given, the fine-tuned model there as a Hugging Face folder (<see cref="FinetunedModel"/>).
    /// </summary>
    SeedResult RunSeed(long seed, int seedIndex, int seedCount, string outputDir, Action<FinetuningProgress>? progress, CancellationToken cancellation,
        string? modelDirectory = null);
}
