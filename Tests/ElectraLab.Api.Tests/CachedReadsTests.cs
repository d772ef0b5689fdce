using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ElectraLab.Api.Caching;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;
using ResultBenchmarks = ElectraLab.Storage.Results.Benchmarks;
using Npgsql;

namespace ElectraLab.Api.Tests;

/// <summary>
/// The leaderboard, experiment list and experiment details are served from the read-model cache (issue 21): over a
/// loopback socket against PostgreSQL, the read after a write shows it, whichever process wrote; a team never gets
/// another team's cached answer; and If-None-Match gets 304.
/// </summary>
[Trait("Category", "Api")]
public sealed class CachedReadsTests(KestrelApiHost host) : IClassFixture<KestrelApiHost>
{
    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task ListAndDetails_AfterATagAndNotesPatch_TheNextReadShowsThem()
    {
        host.SkipIfUnavailable();
        await host.Service<ReadModelChangeListener>().Listening.WaitAsync(ListenTimeout);
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "patched", tags: ["before"]);
        using var client = host.Client(team.Key);
        var listPath = "/api/experiments?limit=10";
        var detailPath = $"/api/experiments/{experiment.Id}";
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(["before"], Assert.Single((await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync(listPath))).Items).Tags);
            Assert.Equal(["before"], (await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync(detailPath))).Summary.Tags);
        }

        await ApiHost.ReadAsync<ExperimentSummary>(await client.PatchAsJsonAsync(detailPath, new { notes = "after the patch", tags = new[] { "after" } }));

        var listed = Assert.Single((await ApiHost.ReadAsync<Page<ExperimentSummary>>(await client.GetAsync(listPath))).Items);
        Assert.Equal(["after"], listed.Tags);
        Assert.Equal("after the patch", listed.Notes);
        var details = await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync(detailPath));
        Assert.Equal(["after"], details.Summary.Tags);
        Assert.Equal("after the patch", details.Summary.Notes);
    }

    [SkippableFact]
    public async Task Leaderboard_AfterAResultWrittenByAnotherProcess_TheNextReadShowsIt()
    {
        host.SkipIfUnavailable();
        await host.Service<ReadModelChangeListener>().Listening.WaitAsync(ListenTimeout);
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "first", glue: 0.70);
        var second = await host.SeedExperimentAsync(team.Id, "second", glue: null);
        using var client = host.Client(team.Key);
        const string path = "/api/leaderboard?benchmark=glue";
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(["first"], (await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync(path))).Rows.Items.Select(r => r.Name));
            Assert.Empty((await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync($"/api/experiments/{second.Id}"))).Results);
        }

        // Written on a data source of the test's own, not the API's: as a silo in another process stores a result.
        await using (var elsewhere = NpgsqlDataSource.Create(host.ConnectionString))
        {
            var rows = ResultBenchmarks.For(ResultBenchmarks.Glue).Select(c => new EvaluationResultRow(second.Id, 1000, c.Task, c.Metric, 1, 0.9)).ToList();
            await new EvaluationResultStore(elsewhere).AddAsync(rows);
        }

        Assert.Equal(["second", "first"], (await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync(path))).Rows.Items.Select(r => r.Name));
        Assert.NotEmpty((await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync($"/api/experiments/{second.Id}"))).Results);
    }

    [SkippableFact]
    public async Task SameUrlForTwoTeams_EachGetsOnlyItsOwnAnswer_AndNeverTheOthersCachedOne()
    {
        host.SkipIfUnavailable();
        await host.Service<ReadModelChangeListener>().Listening.WaitAsync(ListenTimeout);
        var a = await host.CreateTeamAsync();
        var b = await host.CreateTeamAsync();
        var secret = await host.SeedExperimentAsync(a.Id, "a-secret", glue: 0.8);
        await host.SeedExperimentAsync(b.Id, "b-own", glue: 0.6);
        using var clientA = host.Client(a.Key);
        using var clientB = host.Client(b.Key);
        string[] paths = ["/api/experiments", "/api/leaderboard", $"/api/experiments/{secret.Id}"];
        // A fills the cache first, twice so that the second read is a hit.
        foreach (var path in paths.Concat(paths)) (await clientA.GetAsync(path)).EnsureSuccessStatusCode();

        var list = await ApiHost.ReadAsync<Page<ExperimentSummary>>(await clientB.GetAsync(paths[0]));
        Assert.Equal(["b-own"], list.Items.Select(e => e.Name));
        var board = await ApiHost.ReadAsync<Leaderboard>(await clientB.GetAsync(paths[1]));
        Assert.Equal(["b-own"], board.Rows.Items.Select(r => r.Name));
        var foreign = await clientB.GetAsync(paths[2]);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.DoesNotContain("a-secret", await foreign.Content.ReadAsStringAsync());

        // And A still gets its own, not B's answer that was cached in between.
        Assert.Equal(["a-secret"], (await ApiHost.ReadAsync<Page<ExperimentSummary>>(await clientA.GetAsync(paths[0]))).Items.Select(e => e.Name));
    }

    [SkippableFact]
    public async Task IfNoneMatch_WithTheCurrentETag_Gets304_AndAfterAChange200WithANewETag()
    {
        host.SkipIfUnavailable();
        await host.Service<ReadModelChangeListener>().Listening.WaitAsync(ListenTimeout);
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "etagged");
        using var client = host.Client(team.Key);
        foreach (var path in new[] { "/api/experiments", "/api/leaderboard", $"/api/experiments/{experiment.Id}" })
        {
            var first = await client.GetAsync(path);
            first.EnsureSuccessStatusCode();
            var etag = first.Headers.ETag;
            Assert.NotNull(etag);
            Assert.False(etag.IsWeak);

            using var conditional = new HttpRequestMessage(HttpMethod.Get, path);
            conditional.Headers.IfNoneMatch.Add(etag);
            var notModified = await client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(etag, notModified.Headers.ETag);
            Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

            using var other = new HttpRequestMessage(HttpMethod.Get, path);
            other.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(other)).StatusCode);
        }

        var before = (await client.GetAsync($"/api/experiments/{experiment.Id}")).Headers.ETag!;
        (await client.PatchAsJsonAsync($"/api/experiments/{experiment.Id}", new { notes = "changed" })).EnsureSuccessStatusCode();
        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/api/experiments/{experiment.Id}");
        stale.Headers.IfNoneMatch.Add(before);
        var changed = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(before, changed.Headers.ETag);
        Assert.Equal("changed", (await ApiHost.ReadAsync<ExperimentDetails>(changed)).Summary.Notes);
    }

    [SkippableFact]
    public async Task AChangeThatSendsNoNotification_IsNotSeen_SoReadsReallyComeFromTheCache()
    {
        host.SkipIfUnavailable();
        await host.Service<ReadModelChangeListener>().Listening.WaitAsync(ListenTimeout);
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "cached-name");
        using var client = host.Client(team.Key);
        var path = $"/api/experiments/{experiment.Id}";
        Assert.Equal("cached-name", (await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync(path))).Summary.Name);

        // Triggers off for this session only (the test server's user may): the one way to write without notifying.
        await using (var connection = await host.DataSource.OpenConnectionAsync())
        {
            await using var off = new NpgsqlCommand("SET session_replication_role = replica", connection);
            await off.ExecuteNonQueryAsync();
            await using var silent = new NpgsqlCommand("UPDATE experiments SET name = 'renamed' WHERE id = $1", connection);
            silent.Parameters.Add(new() { Value = experiment.Id });
            await silent.ExecuteNonQueryAsync();
            await using var on = new NpgsqlCommand("SET session_replication_role = origin", connection);
            await on.ExecuteNonQueryAsync();
        }
        Assert.Equal("cached-name", (await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync(path))).Summary.Name);

        // Any notified change moves the version, and the next read sees the rename too.
        (await client.PatchAsJsonAsync(path, new { notes = "touch" })).EnsureSuccessStatusCode();
        Assert.Equal("renamed", (await ApiHost.ReadAsync<ExperimentDetails>(await client.GetAsync(path))).Summary.Name);
    }
}
