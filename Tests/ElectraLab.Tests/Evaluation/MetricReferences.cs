using System.Security.Cryptography;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Evaluation;

/// <summary>
/// The reference-metrics folder (ELECTRALAB_METRIC_REFS, else ../shared/data/reference-metrics). Paths inside
/// its JSON files are relative to the data root, the folder that holds it.
/// </summary>
internal static class MetricReferences
{
    public static string Root =>
        Environment.GetEnvironmentVariable("ELECTRALAB_METRIC_REFS") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(TestPaths.Shared, "data", "reference-metrics");

    public static string DataRoot => Path.GetDirectoryName(Root.TrimEnd(Path.DirectorySeparatorChar))!;

    public static string Resolve(string relative) => Path.Combine(DataRoot, relative);

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Asserts two metric values agree to 1e-9, with null (undefined) equal only to null.</summary>
    public static void AssertClose(double? expected, double? actual, string what)
    {
        if (expected is null)
        {
            Assert.True(actual is null, $"{what}: expected undefined (null), got {actual}");
            return;
        }
        Assert.True(actual is not null, $"{what}: expected {expected}, got undefined");
        Assert.True(Math.Abs(expected.Value - actual!.Value) <= 1e-9, $"{what}: expected {expected:R}, got {actual:R}");
    }
}
