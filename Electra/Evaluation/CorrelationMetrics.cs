// Pearson and Spearman correlation for STS-B, matching scipy 1.10 (pearsonr, spearmanr with average ranks).
// Both are undefined for a constant input; SciPy returns nan there, and these return null so that a caller
// has to decide what an undefined score means instead of averaging a NaN into a table by accident.
namespace ElectraLab.Electra.Evaluation;

public static class CorrelationMetrics
{
    /// <summary>Pearson's r, or null when either side is constant.</summary>
    public static double? Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ClassificationMetrics.CheckLengths(x, y);
        if (IsConstant(x) || IsConstant(y)) return null;
        var xMean = x.Average();
        var yMean = y.Average();
        double xNorm = 0, yNorm = 0;
        for (var i = 0; i < x.Count; i++)
        {
            xNorm += (x[i] - xMean) * (x[i] - xMean);
            yNorm += (y[i] - yMean) * (y[i] - yMean);
        }
        xNorm = Math.Sqrt(xNorm);
        yNorm = Math.Sqrt(yNorm);
        // scipy normalises each centred vector before the dot product, which keeps r inside [-1, 1] up to
        // rounding; the clamp removes what rounding is left.
        double r = 0;
        for (var i = 0; i < x.Count; i++) r += (x[i] - xMean) / xNorm * ((y[i] - yMean) / yNorm);
        return Math.Clamp(r, -1.0, 1.0);
    }

    /// <summary>Spearman's rho: Pearson of the ranks, ties given their average rank. Null when either side is constant.</summary>
    public static double? Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ClassificationMetrics.CheckLengths(x, y);
        return Pearson(AverageRanks(x), AverageRanks(y));
    }

    /// <summary>1-based ranks; equal values share the mean of the ranks they span (scipy rankdata 'average').</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    private static bool IsConstant(IReadOnlyList<double> values)
    {
        for (var i = 1; i < values.Count; i++)
            if (values[i] != values[0]) return false;
        return true;
    }
}
