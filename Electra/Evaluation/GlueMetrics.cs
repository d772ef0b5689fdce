// The metrics of one GLUE task on one split, computed from gold and predicted labels (classification) or
// scores (STS-B). Values are fractions; an undefined correlation (constant input) is null, never NaN.
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Electra.Evaluation;

public static class GlueMetrics
{
    /// <summary>The key under which `eval glue` prints a metric.</summary>
    public static string Key(GlueMetric metric) => metric switch
    {
        GlueMetric.Accuracy => "accuracy",
        GlueMetric.F1 => "f1",
        GlueMetric.MatthewsCorrelation => "matthews_correlation",
        GlueMetric.Pearson => "pearson",
        GlueMetric.Spearman => "spearmanr",
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>Classification metrics; F1 treats the label "1" as positive (MRPC, QQP).</summary>
    public static IReadOnlyList<KeyValuePair<GlueMetric, double?>> Classification(IReadOnlyList<GlueMetric> metrics,
        IReadOnlyList<string> gold, IReadOnlyList<string> predicted) =>
        metrics.Select(m => new KeyValuePair<GlueMetric, double?>(m, m switch
        {
            GlueMetric.Accuracy => ClassificationMetrics.Accuracy(gold, predicted),
            GlueMetric.F1 => ClassificationMetrics.F1(gold, predicted, positive: "1"),
            GlueMetric.MatthewsCorrelation => ClassificationMetrics.MatthewsCorrelation(gold, predicted),
            _ => throw new ArgumentException($"{m} is not a classification metric"),
        })).ToList();

    /// <summary>Regression metrics (STS-B): Pearson and Spearman, each null when undefined.</summary>
    public static IReadOnlyList<KeyValuePair<GlueMetric, double?>> Regression(IReadOnlyList<GlueMetric> metrics,
        IReadOnlyList<double> gold, IReadOnlyList<double> predicted) =>
        metrics.Select(m => new KeyValuePair<GlueMetric, double?>(m, m switch
        {
            GlueMetric.Pearson => CorrelationMetrics.Pearson(gold, predicted),
            GlueMetric.Spearman => CorrelationMetrics.Spearman(gold, predicted),
            _ => throw new ArgumentException($"{m} is not a regression metric"),
        })).ToList();
}
