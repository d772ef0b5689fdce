// Resolves a pre-training config the way the official code does (defaults, then overrides), with ElectraLab's
// layers: the paper's defaults, then a JSON or YAML file, then `--set key=value`. Every key must be known: a
// typo would otherwise silently train the default (STYLE.md: an unknown key is an error that names it).
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElectraLab.Config;

namespace ElectraLab.Config.Pretraining;

public static class PretrainingConfigLoader
{
    /// <summary>Official keys about TPUs and TF estimators: accepted so official configs load, and ignored.</summary>
    static readonly HashSet<string> IgnoredOfficialKeys =
    [
        "use_tpu", "num_tpu_cores", "tpu_name", "tpu_zone", "gcp_project", "iterations_per_loop", "debug",
        "do_train", "do_eval", "eval_batch_size", "num_eval_steps", "results_dir", "model_dir", "model_name",
        "pretrain_tfrecords",
    ];

    /// <summary>Official keys for variants ElectraLab does not implement: an error rather than a silent default.</summary>
    static readonly HashSet<string> UnsupportedOfficialKeys = ["electric_objective", "uniform_generator", "two_tower_generator_hidden_size"];

    public static IReadOnlySet<string> KnownKeys { get; } = typeof(PretrainingConfig)
        .GetProperties()
        .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
        .OfType<string>()
        .ToHashSet();

    public static PretrainingConfig Load(string? file, IEnumerable<string> sets)
    {
        var json = JsonSerializer.SerializeToNode(new PretrainingConfig())!.AsObject();
        if (file is not null) Merge(json, ReadFile(file), file);
        foreach (var set in sets) ApplySet(json, set);
        return Resolve(json);
    }

    /// <summary>A resolved config as saved with a checkpoint (the same key checks apply).</summary>
    public static PretrainingConfig FromJson(string text)
    {
        var json = JsonSerializer.SerializeToNode(new PretrainingConfig())!.AsObject();
        JsonNode? node;
        try { node = ConfigText.ParseJson(text); }
        catch (ConfigTextException e) { throw new ArgumentException($"the config is not valid: {e.Message}", e); }
        Merge(json, node as JsonObject ?? throw new ArgumentException("a config must be a mapping of keys to values"), "json");
        return Resolve(json);
    }

    /// <summary>The merged keys as a normalized, validated config; a value of the wrong type (or beyond an int) names its key.</summary>
    private static PretrainingConfig Resolve(JsonObject json)
    {
        PretrainingConfig config;
        try
        {
            config = json.Deserialize<PretrainingConfig>()!;
        }
        catch (JsonException e)
        {
            var key = e.Path?.TrimStart('$', '.') ?? "?";
            throw new ArgumentException($"config key '{key}' has the wrong type or is out of range", e);
        }
        return config.Normalized();
    }

    private static JsonObject ReadFile(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such config file", file);
        var text = File.ReadAllText(file);
        var ext = Path.GetExtension(file).ToLowerInvariant();
        try
        {
            var node = ext is ".yaml" or ".yml" ? ConfigText.ParseYaml(text) ?? new JsonObject() : ConfigText.ParseJson(text);
            return node as JsonObject ?? throw new InvalidDataException($"{file}: the config must be a mapping of keys to values");
        }
        catch (ConfigTextException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }

    private static void Merge(JsonObject into, JsonObject from, string source)
    {
        foreach (var (key, value) in from)
        {
            CheckKey(key, source);
            if (IgnoredOfficialKeys.Contains(key)) continue;
            into[key] = value?.DeepClone();
        }
    }

    private static void CheckKey(string key, string source)
    {
        if (UnsupportedOfficialKeys.Contains(key))
            throw new ArgumentException($"config key '{key}' ({source}) selects a variant ElectraLab does not implement");
        if (!KnownKeys.Contains(key) && !IgnoredOfficialKeys.Contains(key))
            throw new ArgumentException($"unknown config key '{key}' ({source})");
    }

    /// <summary>key=value, where value is JSON when it parses as JSON (numbers, true, {...}), else a string.</summary>
    private static void ApplySet(JsonObject json, string set)
    {
        int eq = set.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"--set '{set}' must look like key=value");
        var key = set[..eq].Trim();
        var value = set[(eq + 1)..].Trim();
        CheckKey(key, "--set");
        if (IgnoredOfficialKeys.Contains(key)) return;
        JsonNode? node;
        try { node = ConfigText.ParseJson(value); }
        catch (ConfigTextException e) when (e.InnerException is JsonException) { node = JsonValue.Create(value); }
        catch (ConfigTextException e) { throw new ArgumentException($"config key '{key}' (--set) {e.Problem}", e); }
        json[key] = node;
    }
}
