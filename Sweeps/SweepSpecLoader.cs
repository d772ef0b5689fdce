// Reads a sweep spec (YAML or JSON) into a SweepSpec, checking every field and naming the offending one
// (`search.grid.mask_prob[1]`, `base.learning_rate`). Every expanded pre-training config is resolved by the ELECTRA
// core's PretrainingConfigLoader, so a sweep that validates is one whose every experiment can start. The text is read
// within ConfigText's limits (depth, aliases, nodes, string length), and the number of experiments is computed and
// checked against a limit before any trial is built, so no spec can exhaust the stack, the memory or the time.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Config;
using ElectraLab.Config.Pretraining;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Sweeps;

public static partial class SweepSpecLoader
{
    /// <summary>The GLUE tasks ElectraLab evaluates, by the names the leaderboard uses.</summary>
    public static IReadOnlySet<string> GlueTasks { get; } = new HashSet<string> { "cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte" };

    /// <summary>The most experiments any sweep may expand to; the API's own limit (ApiOptions) may only be lower.</summary>
    public const int MaxExperimentsCeiling = 100_000;

    /// <summary>
    /// The structure a spec may hold. A large real sweep (a 512-experiment grid, seed lists) is a few hundred values;
    /// 10,000 bounds the reading time of the largest body well under a second.
    /// </summary>
    public static ConfigTextLimits TextLimits { get; } = new(MaxDepth: 64, MaxAliases: 32, MaxNodes: 10_000, MaxStringLength: 4096);

    private static readonly string[] TopLevel =
        ["name", "team", "priority", "max_attempts", "base", "search", "seeds", "evaluation", "early_stopping", "checkpoints", "workload"];

    public static SweepSpec LoadFile(string path, int maxExperiments = MaxExperimentsCeiling)
    {
        var text = File.ReadAllText(path);
        var yaml = Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml";
        return yaml ? FromYaml(text, maxExperiments) : FromJson(text, maxExperiments);
    }

    public static SweepSpec FromYaml(string text, int maxExperiments = MaxExperimentsCeiling) =>
        FromNode(Parse(text, yaml: true), maxExperiments);

    public static SweepSpec FromJson(string text, int maxExperiments = MaxExperimentsCeiling) =>
        FromNode(Parse(text, yaml: false), maxExperiments);

    private static JsonNode? Parse(string text, bool yaml)
    {
        try
        {
            return yaml ? ConfigText.ParseYaml(text, TextLimits) : ConfigText.ParseJson(text, TextLimits);
        }
        catch (ConfigTextException e)
        {
            throw new SweepSpecException(e.Path, e.Problem, e);
        }
    }

    /// <summary>Parses and validates; throws <see cref="SweepSpecException"/> naming the field.</summary>
    public static SweepSpec FromNode(JsonNode? node, int maxExperiments = MaxExperimentsCeiling)
    {
        var root = Object(node, "$");
        CheckKeys(root, "", TopLevel);

        var name = RequiredString(root, "name");
        var team = RequiredString(root, "team");
        var priority = OptionalInt(root, "priority", "priority") ?? SweepDefaults.Priority;
        var maxAttempts = OptionalInt(root, "max_attempts", "max_attempts") ?? SweepDefaults.MaxAttempts;
        if (maxAttempts < 1) throw new SweepSpecException("max_attempts", "must be at least 1");

        var workload = ReadWorkload(root["workload"]);
        var baseConfig = root["base"] is null ? new JsonObject() : Object(root["base"], "base");
        var search = ReadSearch(root["search"]);
        var (seeds, finetuneSeeds) = ReadSeeds(root["seeds"]);
        var evaluations = ReadEvaluation(root["evaluation"]);
        var checkpoints = ReadCheckpoints(root["checkpoints"], baseConfig);
        var earlyStopping = ReadEarlyStopping(root["early_stopping"]);

        var spec = new SweepSpec(name, team, baseConfig.ToJsonString(), search, seeds, finetuneSeeds, evaluations, priority,
            earlyStopping, checkpoints, maxAttempts, workload);
        Validate(spec, maxExperiments);
        return spec;
    }

    /// <summary>
    /// Checks a spec built in code (or received over the wire) the same way a parsed one is checked, including that it
    /// expands to at most <paramref name="maxExperiments"/> experiments (counted before anything is expanded).
    /// </summary>
    public static void Validate(SweepSpec spec, int maxExperiments = MaxExperimentsCeiling)
    {
        if (string.IsNullOrWhiteSpace(spec.Name)) throw new SweepSpecException("name", "is required");
        if (string.IsNullOrWhiteSpace(spec.Team)) throw new SweepSpecException("team", "is required");
        if (spec.Seeds.Length == 0) throw new SweepSpecException("seeds.pretraining", "needs at least one seed");
        if (spec.FinetuneSeeds.Length == 0) throw new SweepSpecException("seeds.finetuning", "needs at least one seed");
        if (spec.Seeds.Distinct().Count() != spec.Seeds.Length) throw new SweepSpecException("seeds.pretraining", "has a repeated seed");
        if (spec.MaxAttempts < 1) throw new SweepSpecException("max_attempts", "must be at least 1");
        if (spec.Checkpoints.Interval < 1) throw new SweepSpecException("checkpoints.interval", "must be positive");
        if (spec.Checkpoints.KeepLast < 1) throw new SweepSpecException("checkpoints.keep_last", "must be positive");
        if (spec.Workload.Kind is not (WorkloadSpec.Electra or WorkloadSpec.Noop))
            throw new SweepSpecException("workload.kind", $"'{spec.Workload.Kind}' is not one of electra, noop");

        if (spec.Search.Method is not (SearchSpace.GridMethod or SearchSpace.RandomMethod))
            throw new SweepSpecException("search.method", $"'{spec.Search.Method}' is not one of grid, random");
        if (spec.Search.MaxTrials is < 1) throw new SweepSpecException("search.max_trials", "must be at least 1");
        var experiments = SweepExpander.ExperimentCount(spec);
        var limit = Math.Min(maxExperiments, MaxExperimentsCeiling);
        if (experiments > limit)
            throw new SweepSpecException("search", $"expands to {Count(experiments)} experiments (trials × pre-training seeds); the limit is {limit}");
        if (experiments == 0) throw new SweepSpecException("search", "expands to no trials");

        JsonObject baseConfig;
        try
        {
            baseConfig = ConfigText.ParseJson(spec.BaseConfigJson) as JsonObject ?? throw new SweepSpecException("base", "must be a mapping of pre-training keys");
        }
        catch (ConfigTextException e)
        {
            throw new SweepSpecException(e.Path == "$" ? "base" : $"base.{e.Path}", e.Problem, e);
        }
        // Grid values arrive as JSON text (over the wire, not only from FromNode): each must parse within the limits.
        foreach (var axis in spec.Search.Grid)
        {
            for (var i = 0; i < axis.ValuesJson.Length; i++)
            {
                try { _ = ConfigText.ParseJson(axis.ValuesJson[i]); }
                catch (ConfigTextException e) { throw new SweepSpecException($"search.grid.{axis.Key}[{i}]", e.Problem, e); }
            }
        }
        var searchKeys = spec.Search.Grid.Select(g => g.Key).Concat(spec.Search.Random.Select(r => r.Key)).ToHashSet();
        foreach (var key in searchKeys)
        {
            var where = spec.Search.Grid.Any(g => g.Key == key) ? "search.grid" : "search.random";
            if (!PretrainingConfigLoader.KnownKeys.Contains(key)) throw new SweepSpecException($"{where}.{key}", "is not a pre-training config key");
            if (key == "seed") throw new SweepSpecException($"{where}.seed", "pre-training seeds are set under seeds.pretraining");
        }
        if (baseConfig.ContainsKey("seed") && spec.Seeds.Length > 0)
            throw new SweepSpecException("base.seed", "pre-training seeds are set under seeds.pretraining");

        var resolved = Resolve("base", baseConfig);
        if (spec.Workload.Kind == WorkloadSpec.Electra && resolved.DataDir is null && resolved.Dataset is null
            && spec.Search.Grid.All(g => g.Key is not ("data_dir" or "dataset")))
            throw new SweepSpecException("base.data_dir", "is required (or base.dataset): a folder written by `electralab data prepare`, or a dataset pushed with `electralab data push`");

        foreach (var task in spec.Evaluations.GlueTasks)
            if (!GlueTasks.Contains(task)) throw new SweepSpecException("evaluation.glue", $"'{task}' is not one of {string.Join(", ", GlueTasks)}");
        if (spec.Evaluations.SquadVersion is { } squad && squad is not ("1.1" or "2.0"))
            throw new SweepSpecException("evaluation.squad", $"'{squad}' is not one of 1.1, 2.0");
        if (spec.Evaluations.FlopMilestones.Any(m => !(m > 0) || !double.IsFinite(m)) || !IsAscending(spec.Evaluations.FlopMilestones))
            throw new SweepSpecException("evaluation.flop_milestones", "must be positive, finite and ascending");
        if (spec.Evaluations.FinetuneConfigJson is { } finetune) CheckFinetune(finetune, spec.Evaluations, resolved);

        if (spec.EarlyStopping is { } stop)
        {
            if (stop.Rule is not (EarlyStoppingSpec.Median or EarlyStoppingSpec.Asha))
                throw new SweepSpecException("early_stopping.rule", $"'{stop.Rule}' is not one of median, asha");
            if (string.IsNullOrWhiteSpace(stop.Metric)) throw new SweepSpecException("early_stopping.metric", "is required");
            if (stop.Mode is not ("min" or "max")) throw new SweepSpecException("early_stopping.mode", $"'{stop.Mode}' is not one of min, max");
            if (stop.Rungs.Length == 0 || stop.Rungs.Any(r => r <= 0) || !IsAscending(stop.Rungs.Select(r => (double)r).ToArray()))
                throw new SweepSpecException("early_stopping.rungs", "needs positive, ascending steps");
            if (!double.IsFinite(stop.ReductionFactor)) throw new SweepSpecException("early_stopping.reduction_factor", "must be a finite number");
            if (stop.Rule == EarlyStoppingSpec.Asha && stop.ReductionFactor <= 1)
                throw new SweepSpecException("early_stopping.reduction_factor", "must be greater than 1");
            if (stop.MinExperiments < 1) throw new SweepSpecException("early_stopping.min_experiments", "must be at least 1");
            if (stop.Rungs[^1] >= resolved.NumTrainSteps && spec.Search.Grid.All(g => g.Key != "num_train_steps"))
                throw new SweepSpecException("early_stopping.rungs", $"rung {stop.Rungs[^1]} is not before num_train_steps {resolved.NumTrainSteps}");
        }

        foreach (var axis in spec.Search.Random)
        {
            var field = $"search.random.{axis.Key}";
            if (axis.Distribution is not ("uniform" or "log_uniform" or "int_uniform"))
                throw new SweepSpecException($"{field}.distribution", $"'{axis.Distribution}' is not one of uniform, log_uniform, int_uniform");
            if (!double.IsFinite(axis.Min) || !double.IsFinite(axis.Max) || !(axis.Min < axis.Max))
                throw new SweepSpecException(field, "min and max must be finite, min below max");
            if (axis.Distribution == "log_uniform" && axis.Min <= 0) throw new SweepSpecException($"{field}.min", "must be positive for log_uniform");
        }

        // Every experiment the sweep expands to must resolve: a bad grid value fails here, naming its axis. The count
        // was checked above, so this resolves at most the experiment limit's worth of trials.
        foreach (var trial in SweepExpander.Trials(spec))
        {
            var merged = (JsonObject)baseConfig.DeepClone();
            foreach (var (key, value) in trial.Overrides) merged[key] = JsonNode.Parse(value);
            Resolve("base", merged, key => spec.Search.Grid.Any(g => g.Key == key) ? $"search.grid.{key}"
                : spec.Search.Random.Any(r => r.Key == key) ? $"search.random.{key}" : null);
        }
    }

    private static string Count(long experiments) =>
        experiments == long.MaxValue ? "more than 9.2e18" : experiments.ToString(CultureInfo.InvariantCulture);

    /// <summary>evaluation.finetune: the keys and values the fine-tuner's `--set` accepts, for the tasks the sweep evaluates.</summary>
    private static void CheckFinetune(string json, EvaluationSpec evaluations, PretrainingConfig resolved)
    {
        JsonObject overrides;
        try
        {
            overrides = ConfigText.ParseJson(json) as JsonObject ?? throw new SweepSpecException("evaluation.finetune", "must be a mapping");
        }
        catch (ConfigTextException e)
        {
            throw new SweepSpecException("evaluation.finetune", e.Problem, e);
        }
        List<FinetuningTask> tasks = [FinetuningTask.Parse("CoLA")];
        if (evaluations.SquadVersion is { } squad) tasks.Add(FinetuningTask.Parse($"squad{squad}"));
        try
        {
            FinetuningConfigLoader.CheckOverrides(overrides, FinetuningDefaults.SizeOf(resolved.DiscriminatorConfig()), tasks);
        }
        catch (ArgumentException e)
        {
            var key = KeyInMessage().Match(e.Message) is { Success: true } m ? m.Groups[1].Value : null;
            throw new SweepSpecException(key is null ? "evaluation.finetune" : $"evaluation.finetune.{key}", e.Message, e);
        }
    }

    /// <summary>Resolves a config with the ELECTRA core's loader, turning its "config key 'x' ..." errors into field paths.</summary>
    internal static PretrainingConfig Resolve(string prefix, JsonObject config, Func<string, string?>? fieldOf = null)
    {
        try
        {
            return PretrainingConfigLoader.FromJson(config.ToJsonString());
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException or FormatException)
        {
            var key = KeyInMessage().Match(e.Message) is { Success: true } m ? m.Groups[1].Value : null;
            var field = key is null ? prefix : fieldOf?.Invoke(key) ?? $"{prefix}.{key}";
            throw new SweepSpecException(field, e.Message, e);
        }
    }

    [GeneratedRegex(@"config key '([^']+)'")]
    private static partial Regex KeyInMessage();

    private static bool IsAscending(double[] values)
    {
        for (var i = 1; i < values.Length; i++) if (values[i] <= values[i - 1]) return false;
        return true;
    }

    private static SearchSpace ReadSearch(JsonNode? node)
    {
        if (node is null) return SearchSpace.None;
        var search = Object(node, "search");
        CheckKeys(search, "search", ["method", "max_trials", "seed", "grid", "random", "baseline"]);
        var method = OptionalString(search, "method", "search.method") ?? SearchSpace.GridMethod;
        if (method is not (SearchSpace.GridMethod or SearchSpace.RandomMethod))
            throw new SweepSpecException("search.method", $"'{method}' is not one of grid, random");
        var maxTrials = OptionalInt(search, "max_trials", "search.max_trials");
        if (maxTrials is < 1) throw new SweepSpecException("search.max_trials", "must be at least 1");
        if (method == SearchSpace.RandomMethod && maxTrials is null)
            throw new SweepSpecException("search.max_trials", "is required for random search");
        var seed = OptionalLong(search, "seed", "search.seed") ?? 0;

        var grid = new List<GridParameter>();
        if (search["grid"] is { } gridNode)
        {
            foreach (var (key, values) in Object(gridNode, "search.grid"))
            {
                var field = $"search.grid.{key}";
                if (values is not JsonArray array || array.Count == 0) throw new SweepSpecException(field, "must be a non-empty list of values");
                grid.Add(new GridParameter(key, array.Select((v, i) => v?.ToJsonString() ?? throw new SweepSpecException($"{field}[{i}]", "is null")).ToArray()));
            }
        }
        var random = new List<RandomParameter>();
        if (search["random"] is { } randomNode)
        {
            foreach (var (key, value) in Object(randomNode, "search.random"))
            {
                var field = $"search.random.{key}";
                var distribution = Object(value, field);
                CheckKeys(distribution, field, ["distribution", "min", "max"]);
                var kind = OptionalString(distribution, "distribution", $"{field}.distribution") ?? "uniform";
                if (kind is not ("uniform" or "log_uniform" or "int_uniform"))
                    throw new SweepSpecException($"{field}.distribution", $"'{kind}' is not one of uniform, log_uniform, int_uniform");
                var min = RequiredDouble(distribution, "min", $"{field}.min");
                var max = RequiredDouble(distribution, "max", $"{field}.max");
                if (!(min < max)) throw new SweepSpecException(field, "min must be below max");
                if (kind == "log_uniform" && min <= 0) throw new SweepSpecException($"{field}.min", "must be positive for log_uniform");
                random.Add(new RandomParameter(key, kind, min, max));
            }
        }
        foreach (var key in grid.Select(g => g.Key).Intersect(random.Select(r => r.Key)))
            throw new SweepSpecException($"search.random.{key}", "is also a grid axis");
        var baseline = search["baseline"] switch
        {
            null => false,
            JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => v.GetValue<bool>(),
            _ => throw new SweepSpecException("search.baseline", "must be true or false"),
        };
        if (baseline && grid.Any(g => g.Key == "num_train_steps"))
            throw new SweepSpecException("search.baseline", "adds the num_train_steps 0 arm itself; num_train_steps cannot also be a grid axis");
        return new SearchSpace(method, maxTrials, seed, grid.ToArray(), random.ToArray(), baseline);
    }

    private static (long[] Pretraining, int[] Finetuning) ReadSeeds(JsonNode? node)
    {
        if (node is null) return ([SweepDefaults.PretrainingSeed], [SweepDefaults.FinetuningSeed]);
        var seeds = Object(node, "seeds");
        CheckKeys(seeds, "seeds", ["pretraining", "finetuning"]);
        var pretraining = seeds["pretraining"] is { } p ? LongList(p, "seeds.pretraining") : [SweepDefaults.PretrainingSeed];
        var finetuning = seeds["finetuning"] is { } f
            ? (f as JsonArray ?? throw new SweepSpecException("seeds.finetuning", "must be a list of integers"))
                .Select((v, i) => Int(v, $"seeds.finetuning[{i}]")).ToArray()
            : [SweepDefaults.FinetuningSeed];
        return (pretraining, finetuning);
    }

    private static EvaluationSpec ReadEvaluation(JsonNode? node)
    {
        if (node is null) return EvaluationSpec.None;
        var evaluation = Object(node, "evaluation");
        CheckKeys(evaluation, "evaluation", ["glue", "squad", "flop_milestones", "finetune", "keep_all_seeds"]);
        var glue = evaluation["glue"] is { } g
            ? (g as JsonArray ?? throw new SweepSpecException("evaluation.glue", "must be a list of task names"))
                .Select((t, i) => Normalize(ScalarString(t, $"evaluation.glue[{i}]"))).ToArray()
            : [];
        var squad = evaluation["squad"] is { } s ? ScalarString(s, "evaluation.squad") : null;
        if (squad is "1" or "v1" or "v1.1") squad = "1.1";
        if (squad is "2" or "v2" or "v2.0") squad = "2.0";
        var milestones = evaluation["flop_milestones"] is { } m
            ? (m as JsonArray ?? throw new SweepSpecException("evaluation.flop_milestones", "must be a list of numbers"))
                .Select((v, i) => Double(v, $"evaluation.flop_milestones[{i}]")).ToArray()
            : [];
        var finetune = evaluation["finetune"] is { } ft ? Object(ft, "evaluation.finetune").ToJsonString() : null;
        var keepAll = evaluation["keep_all_seeds"] switch
        {
            null => false,
            JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => v.GetValue<bool>(),
            _ => throw new SweepSpecException("evaluation.keep_all_seeds", "must be true or false"),
        };
        return new EvaluationSpec(glue, squad, milestones, finetune, keepAll);
    }

    /// <summary>GLUE names as the leaderboard spells them: CoLA → cola, SST-2 → sst2, MNLI-m → mnli.</summary>
    private static string Normalize(string task) =>
        task.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal).Replace("mnlim", "mnli", StringComparison.Ordinal);

    private static CheckpointSpec ReadCheckpoints(JsonNode? node, JsonObject baseConfig)
    {
        var interval = baseConfig["save_checkpoints_steps"] is JsonValue v && v.TryGetValue<int>(out var i) ? i : SweepDefaults.CheckpointInterval;
        var keep = SweepDefaults.CheckpointsKept;
        if (node is null) return new CheckpointSpec(interval, keep);
        var checkpoints = Object(node, "checkpoints");
        CheckKeys(checkpoints, "checkpoints", ["interval", "keep_last"]);
        return new CheckpointSpec(OptionalInt(checkpoints, "interval", "checkpoints.interval") ?? interval,
            OptionalInt(checkpoints, "keep_last", "checkpoints.keep_last") ?? keep);
    }

    private static EarlyStoppingSpec? ReadEarlyStopping(JsonNode? node)
    {
        if (node is null) return null;
        var stop = Object(node, "early_stopping");
        CheckKeys(stop, "early_stopping", ["rule", "metric", "mode", "rungs", "reduction_factor", "min_experiments"]);
        var rule = OptionalString(stop, "rule", "early_stopping.rule") ?? EarlyStoppingSpec.Median;
        var metric = RequiredString(stop, "metric", "early_stopping.metric");
        var mode = OptionalString(stop, "mode", "early_stopping.mode") ?? "min";
        var rungs = stop["rungs"] is { } r ? LongList(r, "early_stopping.rungs") : throw new SweepSpecException("early_stopping.rungs", "is required");
        var factor = stop["reduction_factor"] is { } f ? Double(f, "early_stopping.reduction_factor") : 3.0;
        var min = OptionalInt(stop, "min_experiments", "early_stopping.min_experiments") ?? 1;
        return new EarlyStoppingSpec(rule, metric, mode, rungs, factor, min);
    }

    private static WorkloadSpec ReadWorkload(JsonNode? node)
    {
        if (node is null) return WorkloadSpec.Default;
        var workload = Object(node, "workload");
        CheckKeys(workload, "workload", ["kind", "noop_ms"]);
        var kind = OptionalString(workload, "kind", "workload.kind") ?? WorkloadSpec.Electra;
        var ms = OptionalInt(workload, "noop_ms", "workload.noop_ms") ?? 0;
        if (ms < 0) throw new SweepSpecException("workload.noop_ms", "must be ≥ 0");
        return new WorkloadSpec(kind, ms);
    }

    private static void CheckKeys(JsonObject obj, string path, string[] allowed)
    {
        foreach (var (key, _) in obj)
            if (!allowed.Contains(key))
                throw new SweepSpecException(path.Length == 0 ? key : $"{path}.{key}", $"unknown field (expected one of {string.Join(", ", allowed)})");
    }

    private static JsonObject Object(JsonNode? node, string field) =>
        node as JsonObject ?? throw new SweepSpecException(field, "must be a mapping");

    private static string RequiredString(JsonObject obj, string key, string? field = null) =>
        OptionalString(obj, key, field ?? key) is { Length: > 0 } s ? s : throw new SweepSpecException(field ?? key, "is required");

    private static string? OptionalString(JsonObject obj, string key, string field) =>
        obj[key] is { } node ? ScalarString(node, field) : null;

    private static string ScalarString(JsonNode? node, string field) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => throw new SweepSpecException(field, "must be a single value"),
    };

    private static int? OptionalInt(JsonObject obj, string key, string field) =>
        obj[key] is { } node ? Int(node, field) : null;

    private static int Int(JsonNode? node, string field)
    {
        var value = Long(node, field);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw new SweepSpecException(field, $"{value} is beyond the range of a 32-bit integer");
    }

    private static long? OptionalLong(JsonObject obj, string key, string field) =>
        obj[key] is { } node ? Long(node, field) : null;

    private static long Long(JsonNode? node, string field)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<long>(out var l)) return l;
            if (v.TryGetValue<int>(out var i)) return i;
            if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
            if (v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p)) return p;
        }
        throw new SweepSpecException(field, "must be an integer");
    }

    private static double RequiredDouble(JsonObject obj, string key, string field) =>
        obj[key] is { } node ? Double(node, field) : throw new SweepSpecException(field, "is required");

    private static double Double(JsonNode? node, string field)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<double>(out var d)) return Finite(d, field);
            if (v.TryGetValue<long>(out var l)) return l;
            if (v.TryGetValue<int>(out var i)) return i;
            if (v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p)) return Finite(p, field);
        }
        throw new SweepSpecException(field, "must be a number");
    }

    private static double Finite(double value, string field) =>
        double.IsFinite(value) ? value : throw new SweepSpecException(field, "must be a finite number");

    private static long[] LongList(JsonNode node, string field) =>
        (node as JsonArray ?? throw new SweepSpecException(field, "must be a list of integers"))
        .Select((v, i) => Long(v, $"{field}[{i}]")).ToArray();
}
