// Label metrics for GLUE, matching scikit-learn 1.2 (accuracy_score, f1_score(average='binary'),
// matthews_corrcoef) on the same inputs. Labels are compared as strings so "entailment" and "1" work alike.
namespace ElectraLab.Electra.Evaluation;

public static class ClassificationMetrics
{
    /// <summary>Fraction of positions where the prediction equals the gold label.</summary>
    public static double Accuracy(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        CheckLengths(gold, predicted);
        var correct = 0;
        for (var i = 0; i < gold.Count; i++)
            if (gold[i] == predicted[i]) correct++;
        return (double)correct / gold.Count;
    }

    /// <summary>
    /// Binary F1 of <paramref name="positive"/>. As scikit-learn does (with its zero_division warning), a
    /// precision or recall whose denominator is zero counts as 0, so nothing predicted positive gives F1 = 0.
    /// </summary>
    public static double F1(IReadOnlyList<string> gold, IReadOnlyList<string> predicted, string positive = "1")
    {
        CheckLengths(gold, predicted);
        int truePositive = 0, falsePositive = 0, falseNegative = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            var goldPositive = gold[i] == positive;
            var predictedPositive = predicted[i] == positive;
            if (goldPositive && predictedPositive) truePositive++;
            else if (predictedPositive) falsePositive++;
            else if (goldPositive) falseNegative++;
        }
        var precision = truePositive + falsePositive == 0 ? 0.0 : (double)truePositive / (truePositive + falsePositive);
        var recall = truePositive + falseNegative == 0 ? 0.0 : (double)truePositive / (truePositive + falseNegative);
        return precision + recall == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
    }

    /// <summary>
    /// Matthews correlation in scikit-learn's multiclass form (from the confusion matrix). When either
    /// side has a single class the denominator is zero and, as scikit-learn does, the result is 0.
    /// </summary>
    public static double MatthewsCorrelation(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        CheckLengths(gold, predicted);
        var goldCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var predictedCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        long correct = 0;
        for (var i = 0; i < gold.Count; i++)
        {
            goldCounts[gold[i]] = goldCounts.GetValueOrDefault(gold[i]) + 1;
            predictedCounts[predicted[i]] = predictedCounts.GetValueOrDefault(predicted[i]) + 1;
            if (gold[i] == predicted[i]) correct++;
        }
        double n = gold.Count;
        // dot(t_sum, p_sum) over the union of labels; a label missing on one side contributes 0.
        var crossDot = goldCounts.Sum(kv => (double)kv.Value * predictedCounts.GetValueOrDefault(kv.Key));
        var goldDot = goldCounts.Values.Sum(c => (double)c * c);
        var predictedDot = predictedCounts.Values.Sum(c => (double)c * c);
        var covariance = correct * n - crossDot;
        var predictedVariance = n * n - predictedDot;
        var goldVariance = n * n - goldDot;
        var denominator = goldVariance * predictedVariance;
        return denominator == 0 ? 0.0 : covariance / Math.Sqrt(denominator);
    }

    internal static void CheckLengths<T>(IReadOnlyList<T> gold, IReadOnlyList<T> predicted)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"{predicted.Count} predictions for {gold.Count} gold labels");
        if (gold.Count == 0) throw new ArgumentException("no examples to score");
    }
}
