// Resolves a fine-tuning config: the task's and model size's defaults, then `--set key=value`. Every key must be
// known: a typo would otherwise silently fine-tune with the default (STYLE.md).
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElectraLab.Config;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Config.Finetuning;

public static class FinetuningConfigLoader
{
    public static IReadOnlySet<string> KnownKeys { get; } = typeof(FinetuningConfig)
        .GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
        .OfType<string>()
        .ToHashSet();

    /// <summary>Defaults for <paramref name="task"/> and the model's size (or model_size from the sets), then the sets.</summary>
    public static FinetuningConfig Load(FinetuningTask task, ElectraConfig model, IEnumerable<string> sets) =>
        Load(task, FinetuningDefaults.SizeOf(model), sets);

    /// <summary>
    /// Checks overrides given as a JSON object (a sweep's evaluation.finetune) by the rules `--set` follows, for each
    /// task: every key known, every value of its key's type and range. Throws ArgumentException naming the key.
    /// </summary>
    public static void CheckOverrides(JsonObject overrides, string modelSize, IEnumerable<FinetuningTask> tasks)
    {
        var sets = ToSets(overrides);
        foreach (var task in tasks) Load(task, modelSize, sets);
    }

    /// <summary>A JSON object of overrides as `--set` arguments: a string as it is, any other value as JSON.</summary>
    public static IReadOnlyList<string> ToSets(JsonObject overrides) =>
        overrides.Select(kv => $"{kv.Key}={(kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value?.ToJsonString())}").ToList();

    private static FinetuningConfig Load(FinetuningTask task, string modelSize, IEnumerable<string> sets)
    {
        var overrides = new JsonObject();
        foreach (var set in sets) ApplySet(overrides, set);
        var size = overrides["model_size"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : modelSize;
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
        try { node = ConfigText.ParseJson(value); }
        catch (ConfigTextException e) when (e.InnerException is JsonException) { node = JsonValue.Create(value); }
        catch (ConfigTextException e) { throw new ArgumentException($"config key '{key}' (--set) {e.Problem}", e); }
        json[key] = node;
    }
}
