namespace ElectraLab.Benchmarks.Storage;

public sealed record LatencyStats(double P50Ms, double P95Ms, double MaxMs, int Count)
{
    public static LatencyStats From(IReadOnlyList<double> millis)
    {
        var sorted = millis.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencyStats(At(0.50), At(0.95), sorted[^1], sorted.Length);
    }
}
