using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Sweeps;

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
}
