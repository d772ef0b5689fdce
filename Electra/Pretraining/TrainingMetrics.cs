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
    double TrainFlops,
    /// <summary>
    /// Replaced-token detection only: the binary entropy of the interval's replaced-token fraction (the loss of a
    /// discriminator that predicts only the class prior) minus <see cref="DiscLoss"/>, in nats. Near 0 means the
    /// discriminator has learned nothing beyond the prior: at learning rate 1e-3 on examples/paper it stays there and
    /// its encoder fine-tunes SST-2 to the majority class. Null for the MLM objectives.
    /// </summary>
    double? DiscPriorGap = null)
{
    /// <summary>The loss of always predicting the fraction <paramref name="replaced"/>: its binary entropy in nats.</summary>
    public static double PriorEntropy(double replaced) =>
        replaced is <= 0 or >= 1 ? 0 : -(replaced * Math.Log(replaced) + (1 - replaced) * Math.Log(1 - replaced));

    public IEnumerable<KeyValuePair<string, double>> AsPairs() =>
    [
        new("mlm_loss", MlmLoss), new("disc_loss", DiscLoss), new("generator_accuracy", GeneratorAccuracy),
        new("disc_accuracy", DiscAccuracy), new("disc_precision", DiscPrecision), new("disc_recall", DiscRecall),
        new("learning_rate", LearningRate), new("tokens_per_second", TokensPerSecond), new("train_flops", TrainFlops),
        .. DiscPriorGap is { } gap ? [new KeyValuePair<string, double>("disc_prior_gap", gap)] : Array.Empty<KeyValuePair<string, double>>(),
    ];
}
