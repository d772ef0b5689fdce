using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// Issue 15, no input can crash or stall the service: hundreds of generated hostile sweep specs over real HTTP (alias
/// bombs, deep nesting, huge searches, out-of-range numbers, wrong types, unknown and repeated keys, lone surrogates,
/// impossible models, bad fine-tuning keys). Each is a 400 application/problem+json naming a field within a second;
/// nothing is created; and the service still accepts a valid spec afterwards.
/// </summary>
[Trait("Category", "Api")]
public sealed class HostileSpecTests(ApiHost host, ITestOutputHelper output) : IClassFixture<ApiHost>
{
    private const string Raw = "@@RAW@@";
    private const string Dup = "@@DUP@@";
    private const string Any = "@@ANY@@";

    /// <summary>One hostile request: its body, its media type, and the field it must be named by (null: any field).</summary>
    private sealed record Case(string Kind, string Body, bool Yaml, string? Field);

    [SkippableFact]
    public async Task HostileSpecs_Are400NamingAField_FastAndCreateNothing_AndTheServiceStillAnswers()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var cases = Cases(team.Name).ToList();
        Assert.True(cases.Count >= 400, $"only {cases.Count} cases");

        // Warm-up: one case of each kind, so the per-request clock measures the input's cost, not first-call JIT.
        var warmUp = Stopwatch.StartNew();
        foreach (var c in cases.GroupBy(c => c.Kind).Select(g => g.First())) await client.PostAsync("/api/sweeps", Content(c));
        output.WriteLine($"warm-up ({cases.Select(c => c.Kind).Distinct().Count()} kinds): {warmUp.Elapsed.TotalMilliseconds:F0} ms");

        var failures = new List<string>();
        var slowest = (Elapsed: TimeSpan.Zero, Kind: "");
        var all = Stopwatch.StartNew();
        foreach (var c in cases)
        {
            var clock = Stopwatch.StartNew();
            var response = await client.PostAsync("/api/sweeps", Content(c));
            var body = await response.Content.ReadAsStringAsync();
            clock.Stop();
            if (clock.Elapsed > slowest.Elapsed) slowest = (clock.Elapsed, c.Kind);
            var problem = Check(c, response, body, clock.Elapsed);
            if (problem is not null) failures.Add($"{c.Kind} ({(c.Yaml ? "yaml" : "json")}): {problem}\n    spec: {Shorten(c.Body)}");
        }
        output.WriteLine($"{cases.Count} hostile specs in {all.Elapsed.TotalSeconds:F1} s; slowest answer {slowest.Elapsed.TotalMilliseconds:F0} ms ({slowest.Kind})");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} failed:\n{string.Join("\n", failures.Take(40))}");

        await using (var db = host.CreateContext())
        {
            Assert.False(await db.Sweeps.AnyAsync(s => s.TeamId == team.Id));
            Assert.False(await db.Experiments.AnyAsync(e => e.TeamId == team.Id));
        }

        // The template every case was mutated from is valid: the service still answers, and accepts it.
        var created = await client.PostAsync("/api/sweeps", ApiHost.JsonBody(Template(team.Name).ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sweep = await ApiHost.ReadAsync<SweepCreated>(created);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/sweeps/{sweep.SweepId}")).StatusCode);
    }

    private static string? Check(Case c, HttpResponseMessage response, string body, TimeSpan elapsed)
    {
        if (elapsed >= TimeSpan.FromSeconds(1)) return $"answered in {elapsed.TotalMilliseconds:F0} ms";
        if (response.StatusCode != HttpStatusCode.BadRequest) return $"status {(int)response.StatusCode}: {Shorten(body)}";
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return $"content type {response.Content.Headers.ContentType}";
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("errors", out var errors) || !errors.EnumerateObject().Any()) return $"no field named: {body}";
        if (c.Field is { } field && !errors.TryGetProperty(field, out _)) return $"expected the field {field}: {Shorten(body)}";
        return null;
    }

    private static HttpContent Content(Case c) => c.Yaml ? ApiHost.Yaml(c.Body) : ApiHost.JsonBody(c.Body);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + $"… ({text.Length} chars)";

    /// <summary>A valid no-op spec touching every section, so each mutation below is the only thing wrong.</summary>
    private static JsonObject Template(string team, bool random = false) => new()
    {
        ["name"] = "hostile",
        ["team"] = team,
        ["priority"] = 0,
        ["max_attempts"] = 1,
        ["base"] = new JsonObject { ["num_train_steps"] = 100, ["model_hparam_overrides"] = new JsonObject { ["num_hidden_layers"] = 2 } },
        ["search"] = random
            ? new JsonObject
            {
                ["method"] = "random", ["max_trials"] = 2, ["seed"] = 3,
                ["random"] = new JsonObject { ["learning_rate"] = new JsonObject { ["distribution"] = "log_uniform", ["min"] = 0.0001, ["max"] = 0.001 } },
            }
            : new JsonObject { ["method"] = "grid", ["seed"] = 3, ["grid"] = new JsonObject { ["mask_prob"] = new JsonArray(0.15, 0.2) } },
        ["seeds"] = new JsonObject { ["pretraining"] = new JsonArray(1), ["finetuning"] = new JsonArray(1) },
        ["evaluation"] = new JsonObject
        {
            ["glue"] = new JsonArray("cola"), ["flop_milestones"] = new JsonArray(1e15),
            ["finetune"] = new JsonObject { ["learning_rate"] = 0.0001, ["train_batch_size"] = 16 },
        },
        ["early_stopping"] = new JsonObject { ["metric"] = "disc_loss", ["rungs"] = new JsonArray(10), ["reduction_factor"] = 3.0, ["min_experiments"] = 1 },
        ["checkpoints"] = new JsonObject { ["interval"] = 50, ["keep_last"] = 1 },
        ["workload"] = new JsonObject { ["kind"] = "noop", ["noop_ms"] = 0 },
    };

    // Fields by the values that are wrong for every field of the kind (1e300 is a valid learning rate, so only ints get it).
    private static readonly string[] IntFields =
    [
        "priority", "max_attempts", "search.max_trials", "checkpoints.interval", "checkpoints.keep_last", "workload.noop_ms",
        "early_stopping.min_experiments", "seeds.finetuning[0]",
        "base.vocab_size", "base.num_train_steps", "base.train_batch_size", "base.max_seq_length", "base.num_warmup_steps",
        "base.embedding_size", "base.max_predictions_per_seq", "base.keep_checkpoint_max", "base.log_every", "base.num_threads",
        "base.model_hparam_overrides.hidden_size", "base.model_hparam_overrides.num_hidden_layers",
        "base.model_hparam_overrides.num_attention_heads", "base.model_hparam_overrides.intermediate_size",
        "base.model_hparam_overrides.vocab_size", "evaluation.finetune.train_batch_size", "evaluation.finetune.max_seq_length",
    ];

    private static readonly string[] LongFields = ["search.seed", "seeds.pretraining[0]", "early_stopping.rungs[0]"];

    private static readonly string[] DoubleFields =
    [
        "early_stopping.reduction_factor", "evaluation.flop_milestones[0]", "base.learning_rate", "base.mask_prob",
        "base.generator_hidden_size", "base.temperature", "base.disc_weight", "base.gen_weight",
        "base.model_hparam_overrides.hidden_dropout_prob", "base.model_hparam_overrides.layer_norm_eps",
        "evaluation.finetune.learning_rate", "evaluation.finetune.num_train_epochs", "evaluation.finetune.warmup_proportion",
    ];

    private static readonly string[] RandomFields = ["search.random.learning_rate.min", "search.random.learning_rate.max"];

    private static readonly string[] NonFinite = ["1e999", "-1e999", "\"NaN\"", "\"-Infinity\""];
    private static readonly string[] WrongTypes = ["[1]", "{\"x\": 1}", "\"abc\"", "true"];
    private static readonly string[] BeyondInt = ["2147483648", "-2147483649", "1e300", "1.5"];
    private static readonly string[] BeyondLong = ["99999999999999999999999", "1e300", "1.5"];

    private static readonly string[] StringFields =
    [
        "name", "team", "search.method", "early_stopping.rule", "early_stopping.metric", "early_stopping.mode", "workload.kind",
        "evaluation.squad", "evaluation.glue[0]",
    ];

    private static readonly string[] BaseStringKeys = ["base.model_size", "base.objective", "base.weight_sharing", "base.precision", "base.data_dir"];

    private static readonly string[] Sections =
    [
        "base", "search", "seeds", "evaluation", "early_stopping", "checkpoints", "workload", "search.grid", "search.grid.mask_prob",
        "seeds.pretraining", "seeds.finetuning", "evaluation.glue", "evaluation.flop_milestones", "evaluation.finetune",
        "early_stopping.rungs", "base.model_hparam_overrides",
    ];

    private static IEnumerable<Case> Cases(string team)
    {
        // A JSON mutation is sent as JSON and as YAML (JSON is YAML's flow style), so both readers meet it; the many
        // field × value mutations alternate between the two. A \\u escape YamlDotNet refuses is a syntax error, named `$`.
        var sent = 0;
        IEnumerable<Case> Both(string kind, string body, string? field, string? yamlField = null, bool alternate = false)
        {
            var turn = sent++ % 2;
            if (!alternate || turn == 0) yield return new Case(kind, body, false, field);
            if (!alternate || turn == 1) yield return new Case(kind, body, true, yamlField == Any ? null : yamlField ?? field);
        }
        IEnumerable<Case> Mutate(string kind, string path, string raw, string? field, bool random = false, bool alternate = false)
        {
            var spec = Template(team, random);
            Set(spec, path, JsonValue.Create(Raw));
            var yamlField = raw.Contains("\\u", StringComparison.Ordinal) ? Any : null;
            return Both(kind, spec.ToJsonString().Replace($"\"{Raw}\"", raw, StringComparison.Ordinal), field, yamlField, alternate);
        }

        foreach (var path in IntFields)
            foreach (var value in NonFinite.Concat(WrongTypes).Concat(BeyondInt))
                foreach (var c in Mutate("int field", path, value, path, alternate: true)) yield return c;
        foreach (var path in LongFields)
            foreach (var value in NonFinite.Concat(WrongTypes).Concat(BeyondLong))
                foreach (var c in Mutate("long field", path, value, path, alternate: true)) yield return c;
        foreach (var path in DoubleFields)
            foreach (var value in NonFinite.Concat(WrongTypes))
                foreach (var c in Mutate("number field", path, value, path, alternate: true)) yield return c;
        foreach (var path in RandomFields)
            foreach (var value in NonFinite.Concat(WrongTypes))
                foreach (var c in Mutate("random bound", path, value, path, random: true)) yield return c;
        foreach (var path in StringFields)
            foreach (var value in new[] { "[1]", "{\"x\": 1}", "\"\\ud800\"", "\"a\\udc00b\"", "\"x\\u0000\"" })
                foreach (var c in Mutate("string field", path, value, path)) yield return c;
        foreach (var path in BaseStringKeys)
            foreach (var value in new[] { "[1]", "{\"x\": 1}", "5", "\"\\ud800\"" })
                foreach (var c in Mutate("base string key", path, value, path)) yield return c;
        foreach (var path in Sections)
            foreach (var c in Mutate("section of the wrong type", path, path.EndsWith("finetune", StringComparison.Ordinal) ? "[1]" : "7", path))
                yield return c;

        // Unknown keys at every level.
        foreach (var (parent, key) in new[]
        {
            ("", "colour"), ("base", "lerning_rate"), ("search", "budget"), ("search.grid", "no_such_key"), ("seeds", "validation"),
            ("evaluation", "superglue"), ("early_stopping", "patience"), ("checkpoints", "every"), ("workload", "gpus"),
            ("evaluation.finetune", "learning_rat"), ("evaluation.finetune", "layerwise_decay"), ("base.model_hparam_overrides", "hidden_sizes"),
            ("base.model_hparam_overrides", "num_layers"), ("base", "electric_objective"),
        })
        {
            var path = parent.Length == 0 ? key : $"{parent}.{key}";
            foreach (var c in Mutate("unknown key", path, "[1]", path)) yield return c;
        }
        foreach (var (path, field) in new[] { ("search.random.no_such", "search.random.no_such"), ("search.random.learning_rate.mean", "search.random.learning_rate.mean") })
            foreach (var c in Mutate("unknown key", path, "{\"min\": 1, \"max\": 2}", field, random: true)) yield return c;

        // Repeated keys at every level: a copy of an existing key is added, then renamed to it in the text.
        foreach (var (parent, key) in new[]
        {
            ("", "name"), ("", "base"), ("base", "num_train_steps"), ("base.model_hparam_overrides", "num_hidden_layers"),
            ("search", "method"), ("search.grid", "mask_prob"), ("seeds", "pretraining"), ("evaluation", "glue"),
            ("evaluation.finetune", "learning_rate"), ("early_stopping", "metric"), ("checkpoints", "interval"), ("workload", "kind"),
        })
        {
            var spec = Template(team);
            var obj = parent.Length == 0 ? spec : (JsonObject)Get(spec, parent)!;
            obj[Dup] = obj[key]!.DeepClone();
            var text = spec.ToJsonString().Replace($"\"{Dup}\"", $"\"{key}\"", StringComparison.Ordinal);
            foreach (var c in Both("repeated key", text, parent.Length == 0 ? key : $"{parent}.{key}")) yield return c;
        }

        // Impossible models and pre-training values, named by their key.
        foreach (var (path, raw, field) in new[]
        {
            ("base.vocab_size", "0", "base.vocab_size"), ("base.vocab_size", "-1", "base.vocab_size"),
            ("base.model_hparam_overrides.num_attention_heads", "3", "base.model_hparam_overrides.num_attention_heads"),
            ("base.model_hparam_overrides.num_attention_heads", "0", "base.model_hparam_overrides.num_attention_heads"),
            ("base.model_hparam_overrides.hidden_size", "130", "base.model_hparam_overrides"),   // the preset's 4 heads do not divide 130
            ("base.model_hparam_overrides.hidden_size", "0", "base.model_hparam_overrides.hidden_size"),
            ("base.model_hparam_overrides.hidden_size", "1000000000", "base.model_hparam_overrides.hidden_size"),
            ("base.model_hparam_overrides.num_hidden_layers", "0", "base.model_hparam_overrides.num_hidden_layers"),
            ("base.model_hparam_overrides.hidden_dropout_prob", "1.5", "base.model_hparam_overrides.hidden_dropout_prob"),
            ("base.model_hparam_overrides.hidden_act", "\"swish\"", "base.model_hparam_overrides.hidden_act"),
            ("base.generator_hidden_size", "0", "base.generator_hidden_size"), ("base.generator_hidden_size", "1.5", "base.generator_hidden_size"),
            ("base.generator_hidden_size", "0.001", "base.generator_hidden_size"), ("base.mask_prob", "0", "base.mask_prob"),
            ("base.mask_prob", "1", "base.mask_prob"), ("base.num_train_steps", "-1", "base.num_train_steps"),
            ("base.train_batch_size", "-5", "base.train_batch_size"), ("base.embedding_size", "0", "base.embedding_size"),
            ("base.learning_rate", "-0.1", "base.learning_rate"), ("base.max_seq_length", "4", "base.max_seq_length"),
            ("evaluation.finetune.layerwise_lr_decay", "2", "evaluation.finetune.layerwise_lr_decay"),
            ("evaluation.finetune.num_train_epochs", "1e300", "evaluation.finetune.num_train_epochs"),
            ("evaluation.finetune.model_size", "\"huge\"", "evaluation.finetune.model_size"),
            ("evaluation.finetune.precision", "\"fp8\"", "evaluation.finetune.precision"),
            ("search.grid.mask_prob", "[0.15, 1e999]", "search.grid.mask_prob[1]"),
            ("search.grid.vocab_size", "[100, 0]", "search.grid.vocab_size"),
            ("search.grid.learning_rate", "[\"NaN\"]", "search.grid.learning_rate"),
        })
        {
            foreach (var c in Mutate("impossible value", path, raw, field)) yield return c;
        }

        // Searches too large to expand: rejected by arithmetic before any trial is built.
        var tenValues = "[" + string.Join(", ", Enumerable.Range(1, 10).Select(i => (0.01 * i).ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        foreach (var axes in new[] { 3, 4, 6, 7 })
        {
            var spec = Template(team);
            var grid = new JsonObject();
            foreach (var key in new[] { "mask_prob", "learning_rate", "temperature", "disc_weight", "gen_weight", "lr_decay_power", "weight_decay_rate" }.Take(axes))
                grid[key] = JsonNode.Parse(tenValues);
            spec["search"] = new JsonObject { ["grid"] = grid };
            foreach (var c in Both($"grid of 10^{axes}", spec.ToJsonString(), "search")) yield return c;
        }
        foreach (var trials in new[] { 513L, 10_000_000L, int.MaxValue })
        {
            var spec = Template(team, random: true);
            Set(spec, "search.max_trials", trials);
            foreach (var c in Both($"random search of {trials}", spec.ToJsonString(), "search")) yield return c;
        }
        var manySeeds = Template(team);
        manySeeds["seeds"] = new JsonObject { ["pretraining"] = new JsonArray(Enumerable.Range(1, 300).Select(i => (JsonNode)i).ToArray()) };
        foreach (var c in Both("300 seeds × 2 trials", manySeeds.ToJsonString(), "search")) yield return c;

        // Deep nesting: YAML flow and block, JSON, closed and unclosed, at the top and under a field.
        var valid = Template(team).ToJsonString();
        foreach (var depth in new[] { 65, 1_000, 50_000 })
        {
            var open = new string('[', depth);
            var nested = open + new string(']', depth);
            foreach (var c in Both($"nesting {depth}", nested, null)) yield return c;
            foreach (var c in Both($"nesting {depth} under name", valid.Replace("\"hostile\"", nested, StringComparison.Ordinal), null)) yield return c;
            foreach (var c in Both($"unclosed nesting {depth}", "{\"name\": " + open, null)) yield return c;
            var objectDepth = Math.Min(depth, 30_000);   // 6 bytes a level: 50,000 would pass the body limit (413)
            var objects = string.Concat(Enumerable.Repeat("{\"a\":", objectDepth)) + "1" + new string('}', objectDepth);
            foreach (var c in Both($"object nesting {depth} under base", valid.Replace("\"num_train_steps\":100", "\"model_hparam_overrides2\":" + objects, StringComparison.Ordinal), null))
                yield return c;
        }
        var block = "name: s\nteam: " + team + "\nbase:\n" + string.Concat(Enumerable.Range(1, 400).Select(i => new string(' ', i) + "-\n"));
        yield return new Case("block nesting 400", block, true, null);

        // YAML only: alias bombs, recursive and dangling aliases, non-finite plain scalars, complex keys, documents.
        var nine = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++) nine.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]");
        yield return new Case("alias bomb 9^10", string.Join("\n", nine) + "\nname: s\n", true, null);
        var doubling = new List<string> { $"a0: &a0 [{string.Join(", ", Enumerable.Repeat("x", 2000))}]" };
        for (var i = 1; i < 16; i++) doubling.Add($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]");
        yield return new Case("alias bomb 2000·2^15", string.Join("\n", doubling) + "\nname: s\n", true, null);
        var wide = $"a: &a [{string.Join(", ", Enumerable.Repeat("x", 60_000))}]\nb: [*a, *a]\nname: s\n";
        yield return new Case("alias of 60,000 values, twice", wide, true, null);
        foreach (var text in new[]
        {
            "a: &a [*a]\nname: x\n", "name: &n {k: *n}\n", "name: *nope\n", $"name: s\nteam: {team}\n*x : 1\n", $"name: s\nteam: {team}\n? [1, 2]\n: 3\n",
            $"name: s\nteam: {team}\nworkload: {{kind: noop}}\n---\nname: t\n", $"name: s\nteam: {team}\nworkload: {{kind: noop}}\nbase: {{mask_prob: .nan}}\n",
            $"name: s\nteam: {team}\nworkload: {{kind: noop}}\nbase: {{learning_rate: -.inf}}\n", $"name: s\nteam: {team}\nworkload: {{kind: noop}}\npriority: .inf\n",
            $"name: s\nteam: {team}\nworkload: {{kind: noop}}\nbase: {{vocab_size: 1e999}}\n", $"name: \"\\ud800\"\nteam: {team}\n",
            $"name: s\nteam: {team}\nname: t\n", "name: [1\n", "{", "- a\n- b\n", "", "\t", "name: s\n\tteam: x\n", "%YAML 9.9\n---\nname: s\n",
            $"name: !!binary AAAA\nteam: {team}\n", $"name: s\nteam: {team}\nbase: &b {{num_train_steps: 10}}\nsearch: {{grid: {{mask_prob: *b}}}}\n",
        })
        {
            yield return new Case("hostile yaml", text, true, null);
        }
        foreach (var text in new[] { "{\"name\": \"\\ud800\"}", "{\"a\": 1} {\"b\": 2}", "{\"name\": NaN}", "[1, 2]", "\"\\udfff\"", "{\"name\": \"s\",}", "" })
            yield return new Case("hostile json", text, false, null);
    }

    private static JsonNode? Get(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var (key, index) in Segments(path)) node = index is { } i ? node![key]![i] : node![key];
        return node;
    }

    /// <summary>Sets a value by a dotted path with optional [i] indices, creating missing mappings on the way.</summary>
    private static void Set(JsonObject root, string path, JsonNode? value)
    {
        var segments = Segments(path).ToList();
        JsonNode node = root;
        for (var s = 0; s < segments.Count; s++)
        {
            var (key, index) = segments[s];
            var last = s == segments.Count - 1;
            var obj = (JsonObject)node;
            if (index is { } i)
            {
                var array = (JsonArray)obj[key]!;
                if (last) array[i] = value;
                else node = array[i]!;
                continue;
            }
            if (last)
            {
                obj[key] = value;
                return;
            }
            if (obj[key] is not JsonObject child)
            {
                child = new JsonObject();
                obj[key] = child;
            }
            node = child;
        }
    }

    private static IEnumerable<(string Key, int? Index)> Segments(string path) => path.Split('.').Select(part =>
    {
        var bracket = part.IndexOf('[');
        return bracket < 0 ? (part, (int?)null) : (part[..bracket], int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
    });
}
