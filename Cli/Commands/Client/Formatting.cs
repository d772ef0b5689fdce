using System.Globalization;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

/// <summary>How the client prints the API's values: invariant culture, compact FLOPs, scores in percent like GLUE papers.</summary>
public static class Formatting
{
    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => string.Join(",", a.Select(Text)),
        _ => node.ToJsonString(),
    };

    public static double? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    public static string Flops(JsonNode? node) => Number(node) is { } d ? d.ToString("0.00e0", CultureInfo.InvariantCulture) : "";

    public static string Count(JsonNode? node) => Number(node) is { } d ? d.ToString("N0", CultureInfo.InvariantCulture) : "";

    /// <summary>A metric fraction as a GLUE-style percentage (0.8123 → 81.23).</summary>
    public static string Score(double? value) => value is { } d ? (100 * d).ToString("0.00", CultureInfo.InvariantCulture) : "–";

    public static string Date(JsonNode? node) =>
        node is not null && DateTimeOffset.TryParse(Text(node), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
            : "";
}
