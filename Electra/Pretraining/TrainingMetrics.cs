// What a pre-training run reports at each log interval (averaged over the interval). Names follow the official
// eval metrics (E-run L131-161) where they exist.
namespace ElectraLab.Electra.Pretraining;

public sealed record TrainingMetrics(
    long Step,
    string Phase,
    /// <summary>The generator's MLM loss (for objective mlm: the model's).</summary>
    double MlmLoss,
    /// <summary>The kept model's loss: RTD cross-entropy, or its MLM loss for replace-mlm / all-tokens-mlm.</summary>
    double DiscLoss,
    double GeneratorAccuracy,
    double DiscAccuracy,
    double DiscPrecision,
    double DiscRecall,
    double LearningRate,
    double TokensPerSecond,
    double TrainFlops)
{
    public IEnumerable<KeyValuePair<string, double>> AsPairs() =>
    [
        new("mlm_loss", MlmLoss), new("disc_loss", DiscLoss), new("generator_accuracy", GeneratorAccuracy),
        new("disc_accuracy", DiscAccuracy), new("disc_precision", DiscPrecision), new("disc_recall", DiscRecall),
        new("learning_rate", LearningRate), new("tokens_per_second", TokensPerSecond), new("train_flops", TrainFlops),
    ];
}
