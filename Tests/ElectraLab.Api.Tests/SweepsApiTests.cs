using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Tests;

/// <summary>Sweeps through the real grains: submitted as YAML or JSON, followed to completion, cancelled, limited.</summary>
[Trait("Category", "Api")]
public sealed class SweepsApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    [SkippableFact]
    public async Task SubmitYaml_Returns201WithExperiments_AndTheSweepCompletes()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var response = await client.PostAsync("/api/sweeps", ApiHost.Yaml(ApiHost.NoopSweep(team.Name, trials: 3)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await ApiHost.ReadAsync<SweepCreated>(response);
        Assert.Equal($"/api/sweeps/{created.SweepId}", response.Headers.Location!.ToString());
        Assert.Equal(3, created.ExperimentIds.Count);

        var sweep = await WaitAsync(client, created.SweepId, s => s.Status == "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(created.ExperimentIds.Order(), sweep.Experiments.Select(e => e.Id).Order());
        Assert.All(sweep.Experiments, e => Assert.Equal("completed", e.Status));
        Assert.Equal(3, sweep.Counts["completed"]);

        // The swept axis and each experiment's value on it, its seed, the spec; and a task-set score once results exist.
        Assert.Equal(["learning_rate"], sweep.Axes!);
        Assert.All(sweep.Experiments, e => Assert.InRange(double.Parse(e.Axes!["learning_rate"], System.Globalization.CultureInfo.InvariantCulture), 1e-5, 1e-3));
        Assert.All(sweep.Experiments, e => Assert.Equal(1L, e.Seed));
        Assert.Equal("random", sweep.Spec!["Search"]!["Method"]!.GetValue<string>());
        var scored = created.ExperimentIds[0];
        await host.Service<Storage.Results.EvaluationResultStore>().AddAsync(
            [new(scored, 100, "sst2", "accuracy", 1, 0.70), new(scored, 100, "rte", "accuracy", 1, 0.60)]);
        var withScore = await ApiHost.ReadAsync<SweepDetails>(await client.GetAsync($"/api/sweeps/{created.SweepId}"));
        var row = withScore.Experiments.Single(e => e.Id == scored);
        Assert.Equal((0.65, "GLUE-2: SST-2, RTE"), (Math.Round(row.Score!.Value, 6), row.TaskSet));
        Assert.All(withScore.Experiments.Where(e => e.Id != scored), e => Assert.Null(e.Score));

        var listed = await client.GetStringAsync($"/api/experiments?sweep={created.SweepId}");
        Assert.All(created.ExperimentIds, id => Assert.Contains(id.ToString(), listed));
    }

    [SkippableFact]
    public async Task Events_PushTheSweepAsItChanges_AndEndWhenItFinishes()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.Yaml(ApiHost.NoopSweep(team.Name, "pushed", trials: 2, noopMs: 1500))));
        using var response = await client.GetAsync($"/api/sweeps/{created.SweepId}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Read to the end: the server ends the stream once the sweep has finished.
        var statuses = new List<string>();
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            var sweep = System.Text.Json.JsonDocument.Parse(line[5..]).RootElement;
            Assert.Equal(2, sweep.GetProperty("experiments").GetArrayLength());
            statuses.Add(sweep.GetProperty("status").GetString()!);
        }
        Assert.True(statuses.Count >= 2, $"events: {string.Join(", ", statuses)}");
        Assert.Equal("running", statuses[0]);
        Assert.Equal("completed", statuses[^1]);

        var other = await host.CreateTeamAsync();
        using var outsider = host.Client(other.Key);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/sweeps/{created.SweepId}/events")).StatusCode);
    }

    [SkippableFact]
    public async Task SubmitJson_Returns201()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var json = $$$"""{"name": "json-sweep", "team": "{{{team.Name}}}", "search": {"grid": {"mask_prob": [0.15, 0.2]}}, "workload": {"kind": "noop"}}""";
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps", ApiHost.JsonBody(json)));
        Assert.Equal(2, created.ExperimentIds.Count);
    }

    [SkippableFact]
    public async Task Cancel_StopsEveryUnfinishedExperiment()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        // Jobs that would hold their slots for ten minutes: only a cancel ends this sweep inside the test's timeout.
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.Yaml(ApiHost.NoopSweep(team.Name, "long", trials: 3, noopMs: 600_000))));
        var response = await client.PostAsJsonAsync($"/api/sweeps/{created.SweepId}/cancel", new { reason = "test" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // The sweep is cancelled at once; its experiments follow one-way, so the test waits for them.
        var sweep = await WaitAsync(client, created.SweepId, s => s.Experiments.All(e => e.Status == "cancelled"), TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", sweep.Status);
    }

    [SkippableFact]
    public async Task Limits_UnsupportedType415_TooLarge413_TooManyExperiments400()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var text = new StringContent(ApiHost.NoopSweep(team.Name));
        text.Headers.ContentType = new("text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await client.PostAsync("/api/sweeps", text)).StatusCode);

        var huge = ApiHost.NoopSweep(team.Name) + "\n# " + new string('x', 300 * 1024) + "\n";
        var tooLarge = await client.PostAsync("/api/sweeps", ApiHost.Yaml(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("application/problem+json", tooLarge.Content.Headers.ContentType?.MediaType);

        // 9 × 9 × 9 trials: over the 512-experiment default.
        var values = "[" + string.Join(", ", Enumerable.Range(1, 9).Select(i => (0.1 + i * 0.01).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))) + "]";
        var wide = $"name: wide\nteam: {team.Name}\nworkload: {{kind: noop}}\nsearch:\n  grid:\n    mask_prob: {values}\n    generator_hidden_size: {values}\n    learning_rate: {values}\n";
        await Problems.AssertFieldAsync(await client.PostAsync("/api/sweeps", ApiHost.Yaml(wide)), "search");

        await using var db = host.CreateContext();
        Assert.False(await db.Sweeps.AnyAsync(s => s.TeamId == team.Id));
    }

    [SkippableFact]
    public async Task GetUnknownSweep_Is404Problem()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var response = await client.GetAsync($"/api/sweeps/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    internal static async Task<SweepDetails> WaitAsync(HttpClient client, Guid sweepId, Func<SweepDetails, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var sweep = await ApiHost.ReadAsync<SweepDetails>(await client.GetAsync($"/api/sweeps/{sweepId}"));
            if (condition(sweep)) return sweep;
            if (clock.Elapsed > timeout) throw new TimeoutException($"sweep {sweepId} is still {sweep.Status} after {timeout}");
            await Task.Delay(50);
        }
    }
}
