using System.Text.Json;

namespace ElectraLab.Storage.Queries;

internal static class JsonColumns
{
    public static IReadOnlyDictionary<string, double> ParseNumbers(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(json) ?? [];

    /// <summary>{"col": [min, max, seeds]} as written by EvaluationResultStore.</summary>
    public static IReadOnlyDictionary<string, SeedRange> ParseRanges(string json) =>
        (JsonSerializer.Deserialize<Dictionary<string, double[]>>(json) ?? [])
        .ToDictionary(kv => kv.Key, kv => new SeedRange(kv.Value[0], kv.Value[1], (int)kv.Value[2]));

    public static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
