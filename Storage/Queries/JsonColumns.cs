using System.Text.Json;

namespace ElectraLab.Storage.Queries;

internal static class JsonColumns
{
    public static IReadOnlyDictionary<string, double> ParseNumbers(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(json) ?? [];

    public static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
