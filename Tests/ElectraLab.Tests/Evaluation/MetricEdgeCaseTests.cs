using ElectraLab.Electra.Evaluation;
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Tests.Evaluation;

/// <summary>The conventions the reference files do not exercise: empty positives, constant inputs, ties.</summary>
[Trait("Category", "Unit")]
public sealed class MetricEdgeCaseTests
{
    [Fact]
    public void F1_WithNothingPredictedPositive_IsZero() =>
        Assert.Equal(0.0, ClassificationMetrics.F1(["1", "0", "1"], ["0", "0", "0"]));

    [Fact]
    public void F1_CountsOnlyThePositiveClass()
    {
        // tp 1, fp 1, fn 1: precision 0.5, recall 0.5.
        Assert.Equal(0.5, ClassificationMetrics.F1(["1", "1", "0", "0"], ["1", "0", "1", "0"]), 12);
    }

    [Fact]
    public void Matthews_OfAConstantPrediction_IsZero() =>
        Assert.Equal(0.0, ClassificationMetrics.MatthewsCorrelation(["1", "0", "1"], ["1", "1", "1"]));

    [Fact]
    public void Matthews_Multiclass_MatchesTheConfusionMatrixFormula()
    {
        // By hand: 3 correct of 6; gold counts (2,2,2), predicted counts (3,1,2); cov = 3*6 - (6+2+4) = 6,
        // gold variance 36 - 12 = 24, predicted variance 36 - 14 = 22.
        var mcc = ClassificationMetrics.MatthewsCorrelation(["0", "1", "2", "0", "1", "2"], ["0", "2", "1", "0", "0", "2"]);
        Assert.Equal(6 / Math.Sqrt(24.0 * 22.0), mcc, 12);
    }

    [Fact]
    public void Correlations_OfAConstantInput_AreUndefinedNotNaN()
    {
        Assert.Null(CorrelationMetrics.Pearson([1, 2, 3], [2, 2, 2]));
        Assert.Null(CorrelationMetrics.Spearman([5, 5, 5], [1, 2, 3]));
    }

    [Fact]
    public void Ranks_GiveTiesTheirAverage() =>
        Assert.Equal([1.0, 3.0, 3.0, 3.0, 5.0], CorrelationMetrics.AverageRanks([0.1, 0.5, 0.5, 0.5, 2.0]));

    [Fact]
    public void Spearman_IsPearsonOfRanks()
    {
        double[] x = [1, 2, 2, 3, 10], y = [3, 1, 4, 1, 5];
        Assert.Equal(CorrelationMetrics.Pearson(CorrelationMetrics.AverageRanks(x), CorrelationMetrics.AverageRanks(y))!.Value,
            CorrelationMetrics.Spearman(x, y)!.Value, 15);
        Assert.Equal(1.0, CorrelationMetrics.Spearman([1, 2, 3, 4], [10, 20, 30, 1000])!.Value, 12);
    }

    [Fact]
    public void Metrics_RejectMismatchedLengths() =>
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy(["1", "0"], ["1"]));

    [Fact]
    public void GlueScore_AveragesThePaperMetricsOverEightTasks()
    {
        var byTask = new Dictionary<string, IReadOnlyDictionary<GlueMetric, double?>>();
        foreach (var task in GlueScore.PaperTasks)
            byTask[task] = new Dictionary<GlueMetric, double?>
            {
                [GlueMetric.Accuracy] = 0.8, [GlueMetric.F1] = 0.0, [GlueMetric.MatthewsCorrelation] = 0.4,
                [GlueMetric.Spearman] = 0.6, [GlueMetric.Pearson] = 0.0,
            };
        Assert.Equal((0.4 + 0.6 + 6 * 0.8) / 8, GlueScore.Average(byTask), 12);
        byTask.Remove("RTE");
        Assert.Contains("RTE", Assert.Throws<ArgumentException>(() => GlueScore.Average(byTask)).Message);
    }
}
