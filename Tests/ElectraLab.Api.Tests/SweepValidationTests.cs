using ElectraLab.Api.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Tests;

/// <summary>Malformed sweep specs: each is a 400 application/problem+json naming the field, and nothing is created.</summary>
[Trait("Category", "Api")]
public sealed class SweepValidationTests(ApiHost host) : IClassFixture<ApiHost>
{
    private const string Noop = "workload: {kind: noop}\n";
    private const string Stop = "early_stopping: {metric: disc_loss, ";

    // {team} is replaced by the caller's team. Each spec is otherwise valid except for the named field.
    public static TheoryData<string, string> MalformedYaml => new()
    {
        { "", "$" },
        { "- a\n- b\n", "$" },
        { "name: [1\n", "$" },
        { "team: {team}\n" + Noop, "name" },
        { "name: s\n" + Noop, "team" },
        { "name: s\nteam: someone-else\n" + Noop, "team" },
        { "name: s\nteam: {team}\npriority: high\n" + Noop, "priority" },
        { "name: s\nteam: {team}\nmax_attempts: 0\n" + Noop, "max_attempts" },
        { "name: s\nteam: {team}\ncolour: blue\n" + Noop, "colour" },
        { "name: s\nteam: {team}\nbase: [1, 2]\n" + Noop, "base" },
        { "name: s\nteam: {team}\nbase: {lerning_rate: 0.1}\n" + Noop, "base.lerning_rate" },
        { "name: s\nteam: {team}\nbase: {mask_prob: 2}\n" + Noop, "base.mask_prob" },
        { "name: s\nteam: {team}\nbase: {seed: 3}\n" + Noop, "base.seed" },
        { "name: s\nteam: {team}\nbase: {num_train_steps: 10}\n", "base.data_dir" },
        { "name: s\nteam: {team}\nsearch: {grid: {mask_prob: [0.15, 1.5]}}\n" + Noop, "search.grid.mask_prob" },
        { "name: s\nteam: {team}\nsearch: {grid: {mask_prob: []}}\n" + Noop, "search.grid.mask_prob" },
        { "name: s\nteam: {team}\nsearch: {grid: {no_such_key: [1]}}\n" + Noop, "search.grid.no_such_key" },
        { "name: s\nteam: {team}\nsearch: {grid: {seed: [1, 2]}}\n" + Noop, "search.grid.seed" },
        { "name: s\nteam: {team}\nsearch: {method: random}\n" + Noop, "search.max_trials" },
        { "name: s\nteam: {team}\nsearch: {method: bayes}\n" + Noop, "search.method" },
        { "name: s\nteam: {team}\nsearch: {max_trials: 0}\n" + Noop, "search.max_trials" },
        { "name: s\nteam: {team}\nsearch: {budget: 3}\n" + Noop, "search.budget" },
        { "name: s\nteam: {team}\nsearch: {method: random, max_trials: 2, random: {learning_rate: {distribution: log_uniform, min: 0, max: 1}}}\n" + Noop, "search.random.learning_rate.min" },
        { "name: s\nteam: {team}\nsearch: {method: random, max_trials: 2, random: {learning_rate: {distribution: normal, min: 0, max: 1}}}\n" + Noop, "search.random.learning_rate.distribution" },
        { "name: s\nteam: {team}\nsearch: {method: random, max_trials: 2, random: {learning_rate: {min: 1, max: 0}}}\n" + Noop, "search.random.learning_rate" },
        { "name: s\nteam: {team}\nseeds: {pretraining: [1, 1]}\n" + Noop, "seeds.pretraining" },
        { "name: s\nteam: {team}\nseeds: {pretraining: []}\n" + Noop, "seeds.pretraining" },
        { "name: s\nteam: {team}\nseeds: {finetuning: [one]}\n" + Noop, "seeds.finetuning[0]" },
        { "name: s\nteam: {team}\nevaluation: {glue: [cola, wnli2]}\n" + Noop, "evaluation.glue" },
        { "name: s\nteam: {team}\nevaluation: {glue: cola}\n" + Noop, "evaluation.glue" },
        { "name: s\nteam: {team}\nevaluation: {squad: '3.0'}\n" + Noop, "evaluation.squad" },
        { "name: s\nteam: {team}\nevaluation: {flop_milestones: [2.0e17, 1.0e17]}\n" + Noop, "evaluation.flop_milestones" },
        { "name: s\nteam: {team}\n" + Stop + "rule: asha, rungs: [10], reduction_factor: 1}\n" + Noop, "early_stopping.reduction_factor" },
        { "name: s\nteam: {team}\n" + Stop + "rungs: [20, 10]}\n" + Noop, "early_stopping.rungs" },
        { "name: s\nteam: {team}\n" + Stop + "rule: best, rungs: [10]}\n" + Noop, "early_stopping.rule" },
        { "name: s\nteam: {team}\n" + Stop + "mode: up, rungs: [10]}\n" + Noop, "early_stopping.mode" },
        { "name: s\nteam: {team}\nearly_stopping: {rungs: [10]}\n" + Noop, "early_stopping.metric" },
        { "name: s\nteam: {team}\ncheckpoints: {interval: 0}\n" + Noop, "checkpoints.interval" },
        { "name: s\nteam: {team}\ncheckpoints: {keep_last: 0}\n" + Noop, "checkpoints.keep_last" },
        { "name: s\nteam: {team}\nworkload: {kind: sleep}\n", "workload.kind" },
        { "name: s\nteam: {team}\nworkload: {kind: noop, noop_ms: -1}\n", "workload.noop_ms" },
    };

    public static TheoryData<string, string> MalformedJson => new()
    {
        { "{", "$" },
        { "[1, 2]", "$" },
        { """{"name": "s", "team": "{team}", "workload": {"kind": "noop"}, "seeds": {"pretraining": "1"}}""", "seeds.pretraining" },
        { """{"name": "s", "team": "{team}", "workload": {"kind": "noop"}, "search": {"grid": {"mask_prob": [0.15, null]}}}""", "search.grid.mask_prob[1]" },
    };

    [SkippableTheory]
    [MemberData(nameof(MalformedYaml))]
    public Task MalformedYaml_Is400NamingTheField_AndCreatesNothing(string spec, string field) =>
        AssertRejectedAsync(ApiHost.Yaml, spec, field);

    [SkippableTheory]
    [MemberData(nameof(MalformedJson))]
    public Task MalformedJson_Is400NamingTheField_AndCreatesNothing(string spec, string field) =>
        AssertRejectedAsync(ApiHost.JsonBody, spec, field);

    private async Task AssertRejectedAsync(Func<string, HttpContent> content, string spec, string field)
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var response = await client.PostAsync("/api/sweeps", content(spec.Replace("{team}", team.Name)));
        await Problems.AssertFieldAsync(response, field);
        await using var db = host.CreateContext();
        Assert.False(await db.Sweeps.AnyAsync(s => s.TeamId == team.Id));
        Assert.False(await db.Experiments.AnyAsync(e => e.TeamId == team.Id));
    }
}
