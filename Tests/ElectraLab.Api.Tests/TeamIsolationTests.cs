using System.Net;
using System.Net.Http.Json;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Storage.Checkpoints;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Tests;

/// <summary>
/// Every read and write endpoint called with another team's key on team A's resources: 404 (403 for admin-only
/// endpoints), never any of A's data, and A's data unchanged afterwards.
/// </summary>
[Trait("Category", "Api")]
public sealed class TeamIsolationTests(ApiHost host) : IClassFixture<ApiHost>
{
    [SkippableFact]
    public async Task ForeignTeam_GetsNotFound_OnEveryEndpoint_AndSeesNoData()
    {
        host.SkipIfUnavailable();
        var a = await host.CreateTeamAsync();
        var b = await host.CreateTeamAsync();
        using var clientA = host.Client(a.Key);
        var sweep = await ApiHost.ReadAsync<SweepCreated>(await clientA.PostAsync("/api/sweeps", ApiHost.Yaml(ApiHost.NoopSweep(a.Name, "secret-sweep", trials: 1))));
        var experiment = await host.SeedExperimentAsync(a.Id, "secret-experiment", metricSteps: 5);
        var checkpoint = await host.Service<CheckpointStore>().WriteAsync(experiment.Id, 10, Storage.Entities.Checkpoint.HuggingFace, new MemoryStream([1, 2, 3]));
        var secrets = new[] { "secret-sweep", "secret-experiment", a.Name, experiment.Id.ToString(), sweep.SweepId.ToString(), a.UserId.ToString() };

        using var clientB = host.Client(b.Key);
        var notFound = new (string Name, Func<Task<HttpResponseMessage>> Call)[]
        {
            ("GET sweep", () => clientB.GetAsync($"/api/sweeps/{sweep.SweepId}")),
            ("GET sweep events", () => clientB.GetAsync($"/api/sweeps/{sweep.SweepId}/events")),
            ("POST sweep cancel", () => clientB.PostAsJsonAsync($"/api/sweeps/{sweep.SweepId}/cancel", new { reason = "x" })),
            ("GET experiment", () => clientB.GetAsync($"/api/experiments/{experiment.Id}")),
            ("PATCH experiment", () => clientB.PatchAsJsonAsync($"/api/experiments/{experiment.Id}", new { notes = "pwned", tags = new[] { "pwned" } })),
            ("POST fork", () => clientB.PostAsJsonAsync($"/api/experiments/{experiment.Id}/fork", new { })),
            ("GET metrics", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/metrics?names=mlm_loss")),
            ("GET metric names", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/metric-names")),
            ("GET models", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/models")),
            ("GET model download", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/models/discriminator/hf")),
            ("GET events", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/events")),
            ("GET logs", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/logs")),
            ("GET logs tail", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/logs?tail=10")),
            ("GET logs follow", () => clientB.GetAsync($"/api/experiments/{experiment.Id}/logs?follow=true")),
            ("GET checkpoint", () => clientB.GetAsync($"/api/checkpoints/{checkpoint.Id}")),
            ("GET team users", () => clientB.GetAsync($"/api/teams/{a.Id}/users")),
            ("POST team user", () => clientB.PostAsJsonAsync($"/api/teams/{a.Id}/users", new { name = "mole", email = $"mole-{Guid.NewGuid():N}@example.org" })),
            ("GET user keys", () => clientB.GetAsync($"/api/users/{a.UserId}/keys")),
            ("POST user key", () => clientB.PostAsync($"/api/users/{a.UserId}/keys", null)),
            ("DELETE key", () => clientB.DeleteAsync($"/api/keys/{a.KeyId}")),
        };
        foreach (var (name, call) in notFound)
        {
            var response = await call();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{name}: expected 404, got {(int)response.StatusCode}: {body}");
            Assert.All(secrets, s => Assert.DoesNotContain(s, body));
        }

        var forbidden = await clientB.PostAsJsonAsync("/api/teams", new { name = "takeover" });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        // Lists and searches answer, but only with B's (empty) data.
        foreach (var path in new[] { "/api/experiments", $"/api/experiments?sweep={sweep.SweepId}", "/api/experiments?text=secret", "/api/sweeps", "/api/sweeps?text=secret",
                     "/api/leaderboard", "/api/leaderboard/compute", $"/api/experiments/compare?ids={experiment.Id}", "/api/teams", "/api/me" })
        {
            var response = await clientB.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            Assert.All(secrets, s => Assert.DoesNotContain(s, body));
        }

        // B's sweep naming A's team is refused, not filed under A.
        await Problems.AssertFieldAsync(await clientB.PostAsync("/api/sweeps", ApiHost.Yaml(ApiHost.NoopSweep(a.Name))), "team");

        await using var db = host.CreateContext();
        var unchanged = await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == experiment.Id);
        Assert.Null(unchanged.Notes);
        Assert.Empty(unchanged.Tags);
        Assert.Equal(1, await db.Users.CountAsync(u => u.TeamId == a.Id));
        Assert.Equal(1, await db.ApiKeys.CountAsync(k => k.UserId == a.UserId));
        Assert.False(await db.Experiments.AnyAsync(e => e.ParentExperimentId == experiment.Id));
        Assert.Equal(HttpStatusCode.OK, (await clientA.GetAsync($"/api/sweeps/{sweep.SweepId}")).StatusCode);
        Assert.NotEqual("cancelled", (await ApiHost.ReadAsync<SweepDetails>(await clientA.GetAsync($"/api/sweeps/{sweep.SweepId}"))).Status);
    }
}
