using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Queries;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Tests;

/// <summary>History (filters, paging), details, notes and tags, forks, comparison, metric curves, live events, downloads.</summary>
[Trait("Category", "Api")]
public sealed class ExperimentsApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    [SkippableFact]
    public async Task List_FiltersByStatusObjectiveTagAndText()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "electra-small-a", tags: ["baseline"]);
        await host.SeedExperimentAsync(team.Id, "mlm-small-b", objective: "mlm", status: "failed");
        await host.SeedExperimentAsync(team.Id, "electra-tiny-c", tags: ["ablation"], status: "pretraining");
        using var client = host.Client(team.Key);

        async Task<string[]> Names(string query) =>
            (await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync("/api/experiments" + query))).Items.Select(e => e.Name).Order().ToArray();

        Assert.Equal(["electra-small-a", "electra-tiny-c", "mlm-small-b"], await Names(""));
        Assert.Equal(["mlm-small-b"], await Names("?objective=mlm"));
        Assert.Equal(["mlm-small-b"], await Names("?status=failed"));
        Assert.Equal(["electra-tiny-c"], await Names("?tag=ablation"));
        Assert.Equal(["electra-small-a", "mlm-small-b"], await Names("?text=small"));
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments?sort=seed"), "sort");
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments?sort=--name"), "sort");

        // Sorted in SQL, not by the client: by name both ways, by objective then id.
        async Task<string[]> Sorted(string sort) =>
            (await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync("/api/experiments?sort=" + sort))).Items.Select(e => e.Name).ToArray();
        Assert.Equal(["electra-small-a", "electra-tiny-c", "mlm-small-b"], await Sorted("name"));
        Assert.Equal(["mlm-small-b", "electra-tiny-c", "electra-small-a"], await Sorted("-name"));
        Assert.Equal("mlm-small-b", (await Sorted("-objective"))[0]);
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments?limit=0"), "limit");
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments?offset=-1"), "offset");
    }

    [SkippableFact]
    public async Task List_PagesWithoutGapsOrOverlaps()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        for (var i = 0; i < 23; i++) await host.SeedExperimentAsync(team.Id, $"page-{i:00}", glue: null);
        using var client = host.Client(team.Key);
        var seen = new List<Guid>();
        for (var offset = 0; ; offset += 10)
        {
            var page = await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync($"/api/experiments?offset={offset}&limit=10"));
            Assert.Equal(23, page.Total);
            Assert.Equal(offset, page.Offset);
            Assert.Equal(10, page.Limit);
            if (page.Items.Count == 0) break;
            Assert.True(page.Items.Count == Math.Min(10, 23 - offset));
            seen.AddRange(page.Items.Select(e => e.Id));
        }
        Assert.Equal(23, seen.Distinct().Count());
        var newestFirst = (await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync("/api/experiments?limit=500"))).Items;
        Assert.Equal(newestFirst.OrderByDescending(e => e.CreatedAt).Select(e => e.Id), newestFirst.Select(e => e.Id));
    }

    [SkippableFact]
    public async Task Get_ReturnsConfigResultsPerSeedBenchmarksAndCheckpoints_AndDownloadStreamsTheArchive()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "detailed", glue: 0.8);
        var archive = new byte[300_000];
        new Random(7).NextBytes(archive);
        var checkpoint = await host.Service<CheckpointStore>().WriteAsync(experiment.Id, 1000, Storage.Entities.Checkpoint.HuggingFace, new MemoryStream(archive));
        using var client = host.Client(team.Key);

        var details = await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync($"/api/experiments/{experiment.Id}"));
        Assert.Equal("detailed", details.Summary.Name);
        Assert.Equal(0.15, details.Config!["mask_prob"]!.GetValue<double>());
        Assert.Equal(8 * 3, details.Results.Count);
        Assert.Equal([1, 2, 3], details.Results.Where(r => r.Task == "cola").Select(r => r.Seed));
        var glue = Assert.Single(details.Benchmarks, b => b.Benchmark == "glue");
        Assert.Equal(0.8, glue.Score!.Value, 6);
        var saved = Assert.Single(details.Checkpoints);
        Assert.Equal(checkpoint.Id, saved.Id);

        var download = await client.GetAsync(saved.Download);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/x-tar", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(archive, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal(saved.Sha256, download.Headers.GetValues("X-Checkpoint-Sha256").Single());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/experiments/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/checkpoints/{Guid.NewGuid()}")).StatusCode);
    }

    [SkippableFact]
    public async Task Patch_SetsNotesAndTags()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "annotated", glue: null);
        using var client = host.Client(team.Key);
        var updated = await ApiHost.ReadAsync<ExperimentSummary>(await client.PatchAsJsonAsync($"/api/experiments/{experiment.Id}",
            new { notes = "generator too strong", tags = new[] { "keep", "gen-size" } }));
        Assert.Equal("generator too strong", updated.Notes);
        Assert.Equal(["keep", "gen-size"], updated.Tags);
        var tagged = await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync("/api/experiments?tag=gen-size"));
        Assert.Equal(experiment.Id, Assert.Single(tagged.Items).Id);

        var notesOnly = await ApiHost.ReadAsync<ExperimentSummary>(await client.PatchAsJsonAsync($"/api/experiments/{experiment.Id}", new { notes = "" }));
        Assert.Null(notesOnly.Notes);
        Assert.Equal(["keep", "gen-size"], notesOnly.Tags);
        await Problems.AssertFieldAsync(await client.PatchAsJsonAsync($"/api/experiments/{experiment.Id}", new { tags = new[] { "ok", " " } }), "tags[1]");
    }

    [SkippableFact]
    public async Task Fork_SubmitsANewExperimentWithOverrides_AndRecordsItsParent()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var sweep = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps", ApiHost.Yaml(ApiHost.NoopSweep(team.Name, trials: 1))));
        var parent = sweep.ExperimentIds.Single();

        var response = await client.PostAsJsonAsync($"/api/experiments/{parent}/fork", new { name = "forked", overrides = new { mask_prob = 0.3 } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var fork = await ApiHost.ReadAsync<ForkCreated>(response);
        Assert.Equal(parent, fork.ParentExperimentId);
        var details = await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync($"/api/experiments/{fork.ExperimentId}"));
        Assert.Equal(parent, details.Summary.ParentExperimentId);
        Assert.Equal(0.3, details.Config!["mask_prob"]!.GetValue<double>());

        // Unnamed forks are "<parent>-fork-<n>", counting the parent's forks.
        var parentName = (await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync($"/api/experiments/{parent}"))).Summary.Name;
        var unnamed = await ApiHost.ReadAsync<ForkCreated>(await client.PostAsJsonAsync($"/api/experiments/{parent}/fork", new { }));
        var second = await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync($"/api/experiments/{unnamed.ExperimentId}"));
        Assert.Equal($"{parentName}-fork-2", second.Summary.Name);

        var comparison = await ApiHost.ReadAsync<ExperimentComparison>(await client.GetAsync($"/api/experiments/compare?ids={parent},{fork.ExperimentId}"));
        Assert.Equal([parent, fork.ExperimentId], comparison.Experiments.Select(e => e.Summary.Id));
        Assert.Contains(comparison.Differences, d => d.Path == "mask_prob");

        await Problems.AssertFieldAsync(await client.PostAsJsonAsync($"/api/experiments/{parent}/fork", new { overrides = new { mask_prob = 2 } }), "overrides.mask_prob");
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments/compare?ids=nope"), "ids");
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments/compare"), "ids");
    }

    [SkippableFact]
    public async Task Metrics_AreDownsampledToTheBucketsAsked()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "curves", glue: null, metricSteps: 2000);
        using var client = host.Client(team.Key);
        var series = await ApiHost.ReadAsync<List<MetricSeries>>(await client.GetAsync($"/api/experiments/{experiment.Id}/metrics?names=mlm_loss,disc_loss&buckets=40"));
        Assert.Equal(["mlm_loss", "disc_loss"], series.Select(s => s.Name));
        Assert.All(series, s =>
        {
            Assert.InRange(s.Buckets.Count, 20, 40);
            Assert.Equal(2000, s.Buckets.Sum(b => b.Count));
            Assert.True(s.Buckets[0].Max > s.Buckets[^1].Min, "the loss curve falls");
        });
        await Problems.AssertFieldAsync(await client.GetAsync($"/api/experiments/{experiment.Id}/metrics?buckets=0"), "buckets");

        // The list shows the newest logged step.
        var listed = await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync("/api/experiments?text=curves"));
        Assert.Equal(2000, Assert.Single(listed.Items).Step);

        // The series it has, by name; none for an experiment without points; another team's is not found.
        Assert.Equal(["disc_loss", "learning_rate", "mlm_loss"], await ApiHost.ReadAsync<List<string>>(await client.GetAsync($"/api/experiments/{experiment.Id}/metric-names")));
        var empty = await host.SeedExperimentAsync(team.Id, "no-points", glue: null);
        Assert.Empty(await ApiHost.ReadAsync<List<string>>(await client.GetAsync($"/api/experiments/{empty.Id}/metric-names")));
        var other = await host.CreateTeamAsync();
        using var outsider = host.Client(other.Key);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await outsider.GetAsync($"/api/experiments/{experiment.Id}/metric-names")).StatusCode);

        // The newest value of each series, for many experiments in one call; another team sees none of them.
        var latest = await ApiHost.ReadAsync<Dictionary<Guid, Dictionary<string, double>>>(
            await client.GetAsync($"/api/experiments/latest-metrics?ids={experiment.Id},{empty.Id}&names=mlm_loss,disc_loss,nope"));
        Assert.Equal([experiment.Id], latest.Keys);
        Assert.Equal(6.0 * Math.Exp(-2000 / 300.0) + 1.0, latest[experiment.Id]["mlm_loss"], 9);
        Assert.Equal(0.6 * Math.Exp(-2000 / 200.0) + 0.2, latest[experiment.Id]["disc_loss"], 9);
        Assert.Empty(await ApiHost.ReadAsync<Dictionary<Guid, Dictionary<string, double>>>(
            await outsider.GetAsync($"/api/experiments/latest-metrics?ids={experiment.Id}&names=mlm_loss")));
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments/latest-metrics?ids=x&names=a"), "ids");
        await Problems.AssertFieldAsync(await client.GetAsync($"/api/experiments/latest-metrics?ids={experiment.Id}"), "names");
    }

    [SkippableFact]
    public async Task ListEvents_PushThePageAgain_WhenARunOnItChanges()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var run = await host.SeedExperimentAsync(team.Id, "listed", glue: null, status: "pretraining");
        using var client = host.Client(team.Key);
        using var response = await client.GetAsync("/api/experiments/events?limit=10", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var first = await NextEventAsync(reader, timeout.Token, "page");
        Assert.Equal("pretraining", first.GetProperty("items")[0].GetProperty("status").GetString());
        await using (var db = host.CreateContext())
        {
            await db.Experiments.Where(e => e.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, "completed"));
        }
        var next = await NextEventAsync(reader, timeout.Token, "page");
        Assert.Equal("completed", next.GetProperty("items")[0].GetProperty("status").GetString());
        await Problems.AssertFieldAsync(await client.GetAsync("/api/experiments/events?limit=0"), "limit");
    }

    [SkippableFact]
    public async Task Events_StreamStatusAsServerSentEvents_AndEndWhenFinished()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "live", glue: null, status: "pretraining", metricSteps: 10);
        using var client = host.Client(team.Key);
        using var response = await client.GetAsync($"/api/experiments/{experiment.Id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var first = await NextEventAsync(reader, timeout.Token);
        Assert.Equal("pretraining", first.GetProperty("status").GetString());
        Assert.Equal(10, first.GetProperty("step").GetInt64());

        await using (var db = host.CreateContext())
        {
            await db.Experiments.Where(e => e.Id == experiment.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, "completed"));
        }
        var last = await NextEventAsync(reader, timeout.Token);
        Assert.Equal("completed", last.GetProperty("status").GetString());
        // A finished experiment ends the stream: reading to the end returns, with no further event.
        Assert.DoesNotContain("data:", await reader.ReadToEndAsync(timeout.Token));
    }

    private static async Task<JsonElement> NextEventAsync(StreamReader reader, CancellationToken cancellationToken, string expected = "status")
    {
        string? eventName = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) eventName = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Assert.Equal(expected, eventName);
                return JsonDocument.Parse(line[6..]).RootElement.Clone();
            }
        }
        throw new EndOfStreamException("the event stream ended");
    }
}
