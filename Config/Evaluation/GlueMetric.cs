namespace ElectraLab.Config.Evaluation;

/// <summary>The metrics GLUE reports. <see cref="GlueMetrics.Key"/> gives the JSON key `eval glue` prints.</summary>
public enum GlueMetric
{
    Accuracy,
    F1,
    MatthewsCorrelation,
    Pearson,
    Spearman,
}
