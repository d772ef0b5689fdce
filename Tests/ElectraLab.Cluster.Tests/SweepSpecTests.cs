using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Sweeps;
using ElectraLab.Config.Finetuning.Glue;
using ElectraLab.Sweeps;

namespace ElectraLab.Cluster.Tests;

/// <summary>Sweep specs: parsing (YAML and JSON), validation that names the field, and expansion.</summary>
[Trait("Category", "Cluster")]
public sealed class SweepSpecTests
{
    [Fact]
    public void ExampleFile_Parses_AndExpandsToGridTimesSeeds()
    {
        var spec = SweepSpecLoader.LoadFile(Path.Combine(TestData.RepoRoot, "examples", "sweep.yaml"));
        Assert.Equal("nlp", spec.Team);
        var experiments = SweepExpander.Expand(Guid.NewGuid(), spec);
        Assert.Equal(2 * 2 * 2, experiments.Count);
        Assert.Equal(["cola", "mrpc"], spec.Evaluations.GlueTasks);
        Assert.Equal("1.1", spec.Evaluations.SquadVersion);
        Assert.Equal(EarlyStoppingSpec.Median, spec.EarlyStopping!.Rule);
    }

    [Theory]
    [InlineData("table5.yaml", 12)]
    [InlineData("compute-curve.yaml", 6)]
    [InlineData("generator-size.yaml", 12)]
    public void PaperSpecs_Parse_WithTheirBaselineRow_TwoPretrainingAndFiveFinetuningSeeds(string file, int experiments)
    {
        var spec = SweepSpecLoader.FromYaml(File.ReadAllText(Path.Combine(TestData.RepoRoot, "examples", "paper", file)));
        var expanded = SweepExpander.Expand(Guid.Empty, spec);
        Assert.Equal(experiments, expanded.Count);
        Assert.Equal(2, expanded.Count(e => System.Text.Json.Nodes.JsonNode.Parse(e.ConfigJson)!["num_train_steps"]!.GetValue<long>() == 0));
        Assert.True(spec.Seeds.Length >= 2 && spec.FinetuneSeeds.Length >= 5);
        Assert.All(expanded, e => Assert.StartsWith("paper-corpus", System.Text.Json.Nodes.JsonNode.Parse(e.ConfigJson)!["dataset"]!.GetValue<string>()));
        // At 1e-3 ELECTRA's discriminator collapses to the prior on this protocol (examples/paper/README.md).
        Assert.All(expanded, e => Assert.True(System.Text.Json.Nodes.JsonNode.Parse(e.ConfigJson)!["learning_rate"]!.GetValue<double>() <= 5e-4));
        Assert.Contains("sst2", spec.Evaluations.GlueTasks);
    }

    [Fact]
    public void Baseline_AddsOneNotPretrainedTrial_PerPretrainingSeed_AfterTheSearchedOnes()
    {
        var spec = SweepSpecLoader.FromYaml("""
            name: paper
            team: t
            base: {data_dir: /data, num_train_steps: 100}
            search: {grid: {objective: [electra, mlm]}, baseline: true}
            seeds: {pretraining: [1, 2]}
            """);
        Assert.Equal(6, SweepExpander.ExperimentCount(spec));
        var experiments = SweepExpander.Expand(Guid.Empty, spec);
        Assert.Equal(["paper/objective=electra/seed=1", "paper/objective=electra/seed=2", "paper/objective=mlm/seed=1",
            "paper/objective=mlm/seed=2", "paper/num_train_steps=0/seed=1", "paper/num_train_steps=0/seed=2"], experiments.Select(e => e.Name));
        Assert.Equal([100L, 100, 100, 100, 0, 0],
            experiments.Select(e => System.Text.Json.Nodes.JsonNode.Parse(e.ConfigJson)!["num_train_steps"]!.GetValue<long>()));
    }

    [Fact]
    public void Json_AndYaml_GiveTheSameSpec()
    {
        var yaml = SweepSpecLoader.FromYaml("""
            name: s
            team: t
            base: {data_dir: /data, num_train_steps: 100}
            search: {grid: {mask_prob: [0.15, 0.25]}}
            seeds: {pretraining: [1, 2], finetuning: [1, 2, 3]}
            evaluation: {glue: [CoLA, SST-2]}
            """);
        var json = SweepSpecLoader.FromJson("""
            {"name": "s", "team": "t", "base": {"data_dir": "/data", "num_train_steps": 100},
             "search": {"grid": {"mask_prob": [0.15, 0.25]}}, "seeds": {"pretraining": [1, 2], "finetuning": [1, 2, 3]},
             "evaluation": {"glue": ["cola", "sst2"]}}
            """);
        Assert.Equal(SweepExpander.Expand(Guid.Empty, yaml).Select(e => e.ConfigJson), SweepExpander.Expand(Guid.Empty, json).Select(e => e.ConfigJson));
        Assert.Equal(yaml.Evaluations.GlueTasks, json.Evaluations.GlueTasks);
        Assert.Equal(4, SweepExpander.Expand(Guid.Empty, yaml).Count);
    }

    [Theory]
    [InlineData("base: {data_dir: /d, lerning_rate: 0.1}", "base.lerning_rate")]
    [InlineData("base: {data_dir: /d, mask_prob: 2}", "base.mask_prob")]
    [InlineData("base: {num_train_steps: 10}", "base.data_dir")]
    [InlineData("base: {data_dir: /d}\nsearch: {grid: {mask_prob: [0.15, 1.5]}}", "search.grid.mask_prob")]
    [InlineData("base: {data_dir: /d}\nsearch: {grid: {no_such_key: [1]}}", "search.grid.no_such_key")]
    [InlineData("base: {data_dir: /d}\nsearch: {method: random}", "search.max_trials")]
    [InlineData("base: {data_dir: /d}\nsearch: {method: random, max_trials: 2, random: {learning_rate: {distribution: log_uniform, min: 0, max: 1}}}", "search.random.learning_rate.min")]
    [InlineData("base: {data_dir: /d}\nevaluation: {glue: [cola, wnli2]}", "evaluation.glue")]
    [InlineData("base: {data_dir: /d}\nevaluation: {squad: '3.0'}", "evaluation.squad")]
    [InlineData("base: {data_dir: /d}\nearly_stopping: {rule: asha, metric: disc_loss, rungs: [10], reduction_factor: 1}", "early_stopping.reduction_factor")]
    [InlineData("base: {data_dir: /d}\nearly_stopping: {metric: disc_loss, rungs: [20, 10]}", "early_stopping.rungs")]
    [InlineData("base: {data_dir: /d}\ncheckpoints: {interval: 0}", "checkpoints.interval")]
    [InlineData("base: {data_dir: /d}\nseeds: {pretraining: [1, 1]}", "seeds.pretraining")]
    [InlineData("base: {data_dir: /d}\ncolour: blue", "colour")]
    [InlineData("base: {data_dir: /d}\nevaluation: {glue: [mrpc], keep_all_seeds: 'yes'}", "evaluation.keep_all_seeds")]
    [InlineData("base: {dataset: 'no good'}", "base.dataset")]
    [InlineData("base: {data_dir: /d}\nsearch: {baseline: 1}", "search.baseline")]
    [InlineData("base: {data_dir: /d}\nsearch: {baseline: true, grid: {num_train_steps: [0, 10]}}", "search.baseline")]
    [InlineData("base: {dataset: 'wiki@xyz123'}", "base.dataset")]
    [InlineData("base: {dataset: wiki, data_dir: /d}", "base.dataset")]
    [InlineData("base: {data_dir: /d}\nworkload: {kind: sleep}", "workload.kind")]
    public void Validation_NamesTheOffendingField(string body, string field)
    {
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromYaml($"name: s\nteam: t\n{body}\n"));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void MissingTeam_IsNamed() =>
        Assert.Equal("team", Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromYaml("name: s\nbase: {data_dir: /d}")).Field);

    [Fact]
    public void RandomSearch_IsCappedAndDeterministic()
    {
        const string text = """
            name: s
            team: t
            base: {data_dir: /d}
            search:
              method: random
              max_trials: 5
              seed: 7
              grid: {weight_sharing: [none, embeddings]}
              random:
                learning_rate: {distribution: log_uniform, min: 1.0e-4, max: 1.0e-3}
                num_warmup_steps: {distribution: int_uniform, min: 10, max: 20}
            seeds: {pretraining: [1, 2]}
            """;
        var a = SweepExpander.Expand(Guid.Empty, SweepSpecLoader.FromYaml(text));
        var b = SweepExpander.Expand(Guid.Empty, SweepSpecLoader.FromYaml(text));
        Assert.Equal(10, a.Count);
        Assert.Equal(a.Select(e => e.ConfigJson), b.Select(e => e.ConfigJson));
        Assert.All(a, e =>
        {
            var config = System.Text.Json.Nodes.JsonNode.Parse(e.ConfigJson)!;
            Assert.InRange((double)config["learning_rate"]!, 1e-4, 1e-3);
            Assert.InRange((int)config["num_warmup_steps"]!, 10, 20);
        });
    }

    [Fact]
    public void GridSearch_IsCappedByMaxTrials()
    {
        var spec = SweepSpecLoader.FromYaml("""
            name: s
            team: t
            base: {data_dir: /d}
            search: {max_trials: 3, grid: {mask_prob: [0.1, 0.15, 0.2], learning_rate: [1.0e-4, 2.0e-4]}}
            """);
        Assert.Equal(3, SweepExpander.Expand(Guid.Empty, spec).Count);
    }

    [Fact]
    public void ExperimentNames_ReadAxisValuesWithoutQuotes()
    {
        var spec = SweepSpecLoader.FromYaml("""
            name: paper
            team: t
            base: {data_dir: /d}
            seeds: {pretraining: [1, 2]}
            search: {grid: {objective: [electra, mlm], mask_prob: [0.15]}}
            """);
        var names = SweepExpander.Expand(Guid.Empty, spec).Select(e => e.Name).ToList();
        Assert.Equal(["paper/objective=electra,mask_prob=0.15/seed=1", "paper/objective=electra,mask_prob=0.15/seed=2",
            "paper/objective=mlm,mask_prob=0.15/seed=1", "paper/objective=mlm,mask_prob=0.15/seed=2"], names);
        var plain = SweepSpecLoader.FromYaml("name: one\nteam: t\nbase: {data_dir: /d}\n");
        Assert.Equal("one/seed=1", SweepExpander.Expand(Guid.Empty, plain).Single().Name);
    }

    [Theory]
    [InlineData(50_000, true)]
    [InlineData(2_000, false)]
    public void DeepYaml_IsAFieldError_NotAStackOverflow(int depth, bool flow)
    {
        // Block style needs one more space per level, so its text grows with depth²: 2,000 levels is 2 MB.
        var nested = flow
            ? " " + new string('[', depth) + new string(']', depth)
            : "\n" + string.Concat(Enumerable.Range(1, depth).Select(i => new string(' ', i) + "-\n"));
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromYaml($"name: s\nteam: t\nbase:{nested}\n"));
        Assert.True(e.Field.StartsWith("base", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void DeepJson_IsAFieldError()
    {
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromJson($"{{\"name\": {new string('[', 50_000)}"));
        Assert.StartsWith("name", e.Field);
    }

    [Theory]
    [InlineData("a: &a [*a]\nname: x\n", "a[0]")]
    [InlineData("name: &n [*n]\n", "name[0]")]
    [InlineData("name: s\nname: t\n", "name")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d, mask_prob: .nan}\n", "base.mask_prob")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d, learning_rate: 1e999}\n", "base.learning_rate")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d, vocab_size: 0}\n", "base.vocab_size")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d, num_train_steps: 3000000000}\n", "base.num_train_steps")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d, model_hparam_overrides: {hidden_size: 100, num_attention_heads: 3}}\n", "base.model_hparam_overrides.num_attention_heads")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d, model_hparam_overrides: {hidden_sizes: 128}}\n", "base.model_hparam_overrides.hidden_sizes")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d}\nevaluation: {finetune: {learning_rat: 0.1}}\n", "evaluation.finetune.learning_rat")]
    [InlineData("name: s\nteam: t\nbase: {data_dir: /d}\nevaluation: {finetune: {train_batch_size: many}}\n", "evaluation.finetune.train_batch_size")]
    [InlineData("name: s\nteam: t\npriority: 99999999999\n", "priority")]
    [InlineData("name: \"\\ud800\"\nteam: t\n", "$")]
    public void HostileValues_AreFieldErrors(string text, string field)
    {
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromYaml(text));
        Assert.True(field == e.Field, $"expected {field}, got {e.Message}");
    }

    [Fact]
    public void AliasBomb_IsRejectedBeforeItExpands()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++) lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromYaml(string.Join("\n", lines) + "\nname: s\n"));
        Assert.True(e.Problem.Contains("aliases", StringComparison.Ordinal) || e.Problem.Contains("values", StringComparison.Ordinal), e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public void TrialCount_IsArithmetic_CappedAndSaturating()
    {
        static GridParameter Axis(string key, int n) => new(key, Enumerable.Range(0, n).Select(i => i.ToString()).ToArray());
        var tenAxes = Enumerable.Range(0, 10).Select(i => Axis($"k{i}", 10)).ToArray();
        Assert.Equal(10_000_000_000L, SweepExpander.TrialCount(new SearchSpace(SearchSpace.GridMethod, null, 0, tenAxes, [])));
        Assert.Equal(7, SweepExpander.TrialCount(new SearchSpace(SearchSpace.GridMethod, 7, 0, tenAxes, [])));
        Assert.Equal(1, SweepExpander.TrialCount(SearchSpace.None));
        Assert.Equal(int.MaxValue, SweepExpander.TrialCount(new SearchSpace(SearchSpace.RandomMethod, int.MaxValue, 0, tenAxes, [])));
        var thirtyAxes = Enumerable.Range(0, 30).Select(i => Axis($"k{i}", 10)).ToArray();
        Assert.Equal(long.MaxValue, SweepExpander.TrialCount(new SearchSpace(SearchSpace.GridMethod, null, 0, thirtyAxes, [])));
    }

    [Theory]
    [InlineData("search: {grid: {mask_prob: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.11], learning_rate: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], temperature: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], disc_weight: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], gen_weight: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], lr_decay_power: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], num_warmup_steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}}")]
    [InlineData("search: {method: random, max_trials: 2147483647, random: {learning_rate: {min: 0.0001, max: 0.001}}}")]
    [InlineData("search: {grid: {mask_prob: [0.1, 0.2]}}\nseeds: {pretraining: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]}")]
    public void TooManyExperiments_AreRejectedBeforeExpansion(string search)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecLoader.FromYaml($"name: s\nteam: t\nbase: {{data_dir: /d}}\n{search}\n", maxExperiments: 20));
        Assert.Equal("search", e.Field);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"took {started.Elapsed}");
    }

    [Fact]
    public void Validate_OnTheGrainPath_ChecksTheCountBeforeExpanding()
    {
        var spec = SweepSpecLoader.FromYaml("name: s\nteam: t\nbase: {data_dir: /d}\n");
        var huge = spec with { Search = new SearchSpace(SearchSpace.RandomMethod, int.MaxValue, 0, [], []) };
        Assert.Equal("search", Assert.Throws<SweepSpecException>(() => SweepSpecLoader.Validate(huge)).Field);
    }
}
