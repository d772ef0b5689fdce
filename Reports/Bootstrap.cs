using ElectraLab.Config;

namespace ElectraLab.Reports;

/// <summary>A point estimate with its percentile-bootstrap 95% interval.</summary>
public readonly record struct Estimate(double Value, double Low, double High, int Runs)
{
    /// <summary>Decided above zero, below zero, or not decided (the interval holds zero).</summary>
    public int Sign => Low > 0 ? 1 : High < 0 ? -1 : 0;
}

/// <summary>
/// Percentile bootstrap over groups of runs (one group per task): each resample draws every group's runs with
/// replacement, and the statistic of interest is computed from the groups' medians. Deterministic: the draws come from
/// a SplitMix64 stream seeded by the caller's label, so a report regenerated from the same results is the same to the
/// byte, whatever the runtime.
/// </summary>
public static class Bootstrap
{
    public const int Resamples = 1000;
    public const double Level = 0.95;

    /// <summary>The mean over groups of each group's median (one group: its median), with its interval.</summary>
    public static Estimate MeanOfMedians(IReadOnlyList<IReadOnlyList<double>> groups, string label) =>
        Run([groups], medians => medians[0].Average(), label);

    /// <summary>MeanOfMedians(a) − MeanOfMedians(b), with the interval of the difference (a and b resampled independently).</summary>
    public static Estimate Difference(IReadOnlyList<IReadOnlyList<double>> a, IReadOnlyList<IReadOnlyList<double>> b, string label) =>
        Run([a, b], medians => medians[0].Average() - medians[1].Average(), label);

    private static Estimate Run(IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> sides, Func<double[][], double> statistic, string label)
    {
        if (sides.Any(s => s.Count == 0 || s.Any(g => g.Count == 0))) throw new ArgumentException("every group needs at least one run");
        var point = statistic(sides.Select(s => s.Select(Quantiles.Median).ToArray()).ToArray());
        var random = new SplitMix64(Seed(label));
        var draws = new double[Resamples];
        var medians = sides.Select(s => new double[s.Count]).ToArray();
        for (var r = 0; r < Resamples; r++)
        {
            for (var side = 0; side < sides.Count; side++)
            {
                for (var g = 0; g < sides[side].Count; g++)
                {
                    var runs = sides[side][g];
                    var sample = new double[runs.Count];
                    for (var i = 0; i < sample.Length; i++) sample[i] = runs[random.NextBelow(runs.Count)];
                    medians[side][g] = Quantiles.Median(sample);
                }
            }
            draws[r] = statistic(medians);
        }
        Array.Sort(draws);
        var tail = (1 - Level) / 2;
        return new Estimate(point, Quantiles.Percentile(draws, tail), Quantiles.Percentile(draws, 1 - tail),
            sides[0].Sum(g => g.Count));
    }

    /// <summary>FNV-1a of the label: a stable seed per estimate, so no two estimates share draws by accident.</summary>
    private static ulong Seed(string label)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in label)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
