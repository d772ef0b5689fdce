// Turns a sweep spec into experiments: trials from the search space (grid: the cartesian product in declaration order;
// random: seeded draws), capped at max_trials, each replicated once per pre-training seed. Deterministic, so expanding
// the same spec again (a retried submit) yields the same experiments with the same ids.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;

namespace ElectraLab.Sweeps;

/// <summary>One point of the search space: pre-training keys and their values as JSON text.</summary>
public sealed record Trial(int Index, IReadOnlyDictionary<string, string> Overrides);

public static class SweepExpander
{
    /// <summary>
    /// How many trials the search space holds, computed without building any: grid, the product of the axis lengths
    /// capped at max_trials; random, max_trials. Saturates at long.MaxValue instead of overflowing.
    /// </summary>
    public static long TrialCount(SearchSpace search)
    {
        var baseline = search.Baseline ? 1 : 0;
        if (search.Method == SearchSpace.RandomMethod) return Math.Max(0, search.MaxTrials ?? 1) + baseline;
        long product = 1;
        foreach (var axis in search.Grid) product = SaturatingMultiply(product, axis.ValuesJson.Length);
        var trials = search.MaxTrials is { } cap ? Math.Min(product, Math.Max(0, cap)) : product;
        return trials == long.MaxValue ? trials : trials + baseline;
    }

    /// <summary>Trials × pre-training seeds: what <see cref="Expand"/> would build (saturating).</summary>
    public static long ExperimentCount(SweepSpec spec) => SaturatingMultiply(TrialCount(spec.Search), spec.Seeds.Length);

    private static long SaturatingMultiply(long a, long b) =>
        a == 0 || b == 0 ? 0 : a > long.MaxValue / b ? long.MaxValue : a * b;

    public static IReadOnlyList<Trial> Trials(SweepSpec spec)
    {
        var search = spec.Search;
        // Callers validate the count first; this guards against a caller that did not.
        if (TrialCount(search) > SweepSpecLoader.MaxExperimentsCeiling)
            throw new SweepSpecException("search", $"expands to more than {SweepSpecLoader.MaxExperimentsCeiling} trials");
        var random = new Random(unchecked((int)search.Seed));
        var points = new List<Dictionary<string, string>>();
        if (search.Method == SearchSpace.RandomMethod)
        {
            for (var t = 0; t < (search.MaxTrials ?? 1); t++)
            {
                var point = search.Grid.ToDictionary(g => g.Key, g => g.ValuesJson[random.Next(g.ValuesJson.Length)]);
                points.Add(point);
            }
        }
        else
        {
            IEnumerable<Dictionary<string, string>> product = [new Dictionary<string, string>()];
            foreach (var axis in search.Grid)
            {
                product = product.SelectMany(p => axis.ValuesJson.Select(v => new Dictionary<string, string>(p) { [axis.Key] = v }));
            }
            points.AddRange(search.MaxTrials is { } cap ? product.Take(cap) : product);
        }
        foreach (var point in points)
        {
            foreach (var axis in search.Random) point[axis.Key] = Draw(axis, random);
        }
        // The no-pre-training arm: the base config with no steps, after every searched trial.
        if (search.Baseline) points.Add(new Dictionary<string, string> { ["num_train_steps"] = "0" });
        return points.Select((p, i) => new Trial(i, p)).ToList();
    }

    public static IReadOnlyList<ExperimentSpec> Expand(Guid sweepId, SweepSpec spec)
    {
        var baseConfig = (JsonObject)JsonNode.Parse(spec.BaseConfigJson)!;
        var experiments = new List<ExperimentSpec>();
        foreach (var trial in Trials(spec))
        {
            foreach (var seed in spec.Seeds)
            {
                var config = (JsonObject)baseConfig.DeepClone();
                foreach (var (key, value) in trial.Overrides) config[key] = JsonNode.Parse(value);
                config["seed"] = seed;
                config["save_checkpoints_steps"] = spec.Checkpoints.Interval;
                config["keep_checkpoint_max"] = spec.Checkpoints.KeepLast;
                var resolved = SweepSpecLoader.Resolve("base", config).ToJson();
                var index = experiments.Count;
                experiments.Add(new ExperimentSpec(ExperimentId(sweepId, index), sweepId, spec.Team,
                    ExperimentName(spec.Name, trial, seed), index, resolved, seed, spec.Priority, spec.Evaluations,
                    spec.FinetuneSeeds, spec.EarlyStopping, spec.Checkpoints, spec.MaxAttempts, spec.Workload));
            }
        }
        return experiments;
    }

    /// <summary>"sweep/axis=value,axis=value/seed=n" (strings without their JSON quotes), or "sweep/seed=n" with no axes.</summary>
    public static string ExperimentName(string sweep, Trial trial, long seed)
    {
        var axes = string.Join(",", trial.Overrides.Select(kv => $"{kv.Key}={Plain(kv.Value)}"));
        return axes.Length == 0 ? $"{sweep}/seed={seed}" : $"{sweep}/{axes}/seed={seed}";
    }

    private static string Plain(string json) => JsonNode.Parse(json) is JsonValue v && v.TryGetValue<string>(out var text) ? text : json;

    /// <summary>A stable id per (sweep, index): re-expansion after a retried submit names the same experiments.</summary>
    public static Guid ExperimentId(Guid sweepId, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{sweepId:N}/{index}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    private static string Draw(RandomParameter axis, Random random)
    {
        var u = random.NextDouble();
        return axis.Distribution switch
        {
            "log_uniform" => Json(Math.Exp(Math.Log(axis.Min) + u * (Math.Log(axis.Max) - Math.Log(axis.Min)))),
            "int_uniform" => ((long)(Math.Ceiling(axis.Min) + Math.Floor(u * (Math.Floor(axis.Max) - Math.Ceiling(axis.Min) + 1))))
                .ToString(CultureInfo.InvariantCulture),
            _ => Json(axis.Min + u * (axis.Max - axis.Min)),
        };
    }

    private static string Json(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
