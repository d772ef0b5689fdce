// Summaries over fine-tuning seeds. The ELECTRA paper reports the median of 10 fine-tuning runs from one
// checkpoint (§3.1; E-readme medians over many more), because single runs swing by points. The interval is a
// percentile bootstrap of the median: resample the N seed scores with replacement, take each resample's
// median, and report the 2.5th and 97.5th percentiles (numpy's linear interpolation) of those medians. With
// few seeds the interval can only span observed scores; it says how much the median would move, not more.
using ElectraLab.Config;
using ElectraLab.Electra.Pretraining;

namespace ElectraLab.Electra.Finetuning;

/// <summary>A bootstrap confidence interval of the median and how it was drawn (for results.json).</summary>
public sealed record MedianInterval(double Low, double High, double Level, int Resamples, long RngSeed);

public static class SeedStatistics
{
    public static double Median(IReadOnlyList<double> values) => Quantiles.Median(values);

    /// <summary>The percentile bootstrap interval of the median; deterministic for a given RNG seed (SplitMix64 stream).</summary>
    public static MedianInterval BootstrapMedian(IReadOnlyList<double> values, int resamples, long rngSeed, double level = 0.95)
    {
        if (values.Count == 0) throw new ArgumentException("the median of no values");
        var random = new StepRandom(rngSeed, 0, stream: 11);
        var medians = new double[resamples];
        var sample = new double[values.Count];
        for (int r = 0; r < resamples; r++)
        {
            for (int i = 0; i < sample.Length; i++) sample[i] = values[random.Next(values.Count)];
            medians[r] = Median(sample);
        }
        Array.Sort(medians);
        double tail = (1 - level) / 2;
        return new MedianInterval(Percentile(medians, tail), Percentile(medians, 1 - tail), level, resamples, rngSeed);
    }

    /// <summary>numpy.percentile's default (linear) on sorted values; <paramref name="q"/> in [0, 1].</summary>
    public static double Percentile(double[] sorted, double q) => Quantiles.Percentile(sorted, q);

    /// <summary>
    /// The seed whose predictions stand for the sweep: sorted by score (then by position), the lower middle one.
    /// For an odd count its score is the median; for an even count it is the lower of the two middle runs.
    /// </summary>
    public static int MedianIndex(IReadOnlyList<double> scores) =>
        Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ThenBy(i => i).ElementAt((scores.Count - 1) / 2);
}
