// Resolves a fine-tuning config: the task's and model size's defaults, then `--set key=value`. Every key must be
// known: a typo would otherwise silently fine-tune with the default (STYLE.md).
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElectraLab.Electra.Modeling;

namespace ElectraLab.Electra.Finetuning;

public static class FinetuningConfigLoader
{
    public static IReadOnlySet<string> KnownKeys { get; } = typeof(FinetuningConfig)
        .GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
        .OfType<string>()
        .ToHashSet();

    /// <summary>Defaults for <paramref name="task"/> and the model's size (or model_size from the sets), then the sets.</summary>
    public static FinetuningConfig Load(FinetuningTask task, ElectraConfig model, IEnumerable<string> sets)
    {
        var overrides = new JsonObject();
        foreach (var set in sets) ApplySet(overrides, set);
        var size = overrides["model_size"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : FinetuningDefaults.SizeOf(model);
        if (!ElectraPresets.Names.Contains(size)) throw new ArgumentException($"config key 'model_size' '{size}' is not one of small, base, large");
        var json = FinetuningDefaults.For(task, size);
        foreach (var (key, value) in overrides) json[key] = value?.DeepClone();
        try
        {
            return json.Deserialize<FinetuningConfig>()!.Validate();
        }
        catch (JsonException e)
        {
            var key = e.Path?.TrimStart('$', '.') ?? "?";
            throw new ArgumentException($"config key '{key}' has the wrong type", e);
        }
    }

    /// <summary>key=value, where value is JSON when it parses as JSON (numbers, true, null), else a string.</summary>
    private static void ApplySet(JsonObject json, string set)
    {
        int eq = set.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set '{set}' must look like key=value");
        var key = set[..eq].Trim();
        var value = set[(eq + 1)..].Trim();
        if (!KnownKeys.Contains(key))
            throw new ArgumentException($"unknown config key '{key}' (--set); known keys: {string.Join(", ", KnownKeys.Order(StringComparer.Ordinal))}");
        JsonNode? node;
        try { node = JsonNode.Parse(value); }
        catch (JsonException) { node = JsonValue.Create(value); }
        json[key] = node;
    }
}
