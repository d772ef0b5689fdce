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

    /// <summary>"1-20 of 57; next page: --offset 20", or "no sweeps (of 0)", under a page of a paged list.</summary>
    public static string PageFooter(JsonNode page, int shown, string noun)
    {
        var first = (long)(Number(page["offset"]) ?? 0);
        var total = (long)(Number(page["total"]) ?? 0);
        return shown == 0
            ? $"no {noun} (of {total})"
            : $"{first + 1}-{first + shown} of {total}{(first + shown < total ? $"; next page: --offset {first + shown}" : "")}";
    }

    /// <summary>"&amp;name=value" for a query string, or nothing when the option was not given.</summary>
    public static string Filter(string name, string? value) => value is null ? "" : $"&{name}={Uri.EscapeDataString(value)}";

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
