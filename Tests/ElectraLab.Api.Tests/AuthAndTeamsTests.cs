using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Tests;

/// <summary>API keys, the admin bootstrap, teams and users, and the documents every client can read without a key.</summary>
[Trait("Category", "Api")]
public sealed class AuthAndTeamsTests(ApiHost host) : IClassFixture<ApiHost>
{
    [SkippableFact]
    public async Task NoKey_Or_UnknownKey_Is401Problem()
    {
        host.SkipIfUnavailable();
        using var anonymous = host.Client();
        var response = await anonymous.GetAsync("/api/experiments");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        using var wrong = host.Client("elab_0000000000000000000000000000000000000000000000000000000000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/leaderboard")).StatusCode);
    }

    [SkippableFact]
    public async Task AdminKey_BootstrapsTeamUserAndKey_KeyShownOnce_StoredHashed()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        Assert.StartsWith("elab_", team.Key);

        using var member = host.Client(team.Key);
        var me = await ApiHost.ReadAsync<Me>(await member.GetAsync("/api/me"));
        Assert.Equal(team.Id, me.Team!.Id);
        Assert.False(me.IsAdmin);

        await using var db = host.CreateContext();
        var stored = await db.ApiKeys.SingleAsync(k => k.Id == team.KeyId);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(team.Key)), stored.KeyHash);
        Assert.True(team.Key.StartsWith(stored.Prefix, StringComparison.Ordinal) && stored.Prefix.Length < team.Key.Length);

        var listing = await member.GetStringAsync($"/api/users/{team.UserId}/keys");
        Assert.Contains(stored.Prefix, listing);
        Assert.DoesNotContain(team.Key, listing);

        // A member issues a second key for themself; both work until one is revoked.
        var second = await ApiHost.ReadAsync<KeyCreated>(await member.PostAsync($"/api/users/{team.UserId}/keys", null));
        using var secondClient = host.Client(second.Key);
        Assert.Equal(HttpStatusCode.OK, (await secondClient.GetAsync("/api/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await member.DeleteAsync($"/api/keys/{second.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await secondClient.GetAsync("/api/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("/api/experiments")).StatusCode);
    }

    [SkippableFact]
    public async Task Admin_ManagesTeams_ButReadsNoTeamData()
    {
        host.SkipIfUnavailable();
        using var admin = host.Client(ApiHost.AdminKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/api/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/api/leaderboard")).StatusCode);

        var team = await host.CreateTeamAsync();
        var teams = await ApiHost.ReadAsync<List<TeamView>>(await admin.GetAsync("/api/teams"));
        Assert.Contains(teams, t => t.Id == team.Id);
        var users = await ApiHost.ReadAsync<List<UserView>>(await admin.GetAsync($"/api/teams/{team.Id}/users"));
        Assert.Equal(team.UserId, Assert.Single(users).Id);

        var duplicate = await admin.PostAsJsonAsync("/api/teams", new { name = team.Name });
        await Problems.AssertFieldAsync(duplicate, "name");
        await Problems.AssertFieldAsync(await admin.PostAsJsonAsync("/api/teams", new { name = "" }), "name");
        await Problems.AssertFieldAsync(await admin.PostAsJsonAsync($"/api/teams/{team.Id}/users", new { name = "x", email = "nope" }), "email");

        using var member = host.Client(team.Key);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsJsonAsync("/api/teams", new { name = "sneaky" })).StatusCode);
        var mine = await ApiHost.ReadAsync<List<TeamView>>(await member.GetAsync("/api/teams"));
        Assert.Equal(team.Id, Assert.Single(mine).Id);
        var colleague = await ApiHost.ReadAsync<UserCreated>(await member.PostAsJsonAsync($"/api/teams/{team.Id}/users",
            new { name = "Grace", email = $"grace-{Guid.NewGuid():N}@example.org" }));
        using var colleagueClient = host.Client(colleague.ApiKey.Key);
        Assert.Equal(team.Id, (await ApiHost.ReadAsync<Me>(await colleagueClient.GetAsync("/api/me"))).Team!.Id);
    }

    [SkippableFact]
    public async Task OpenApiDocument_AndReferenceUi_AreServed()
    {
        host.SkipIfUnavailable();
        using var anonymous = host.Client();
        var document = await anonymous.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/api/sweeps", "/api/experiments/{id}/fork", "/api/leaderboard", "/api/checkpoints/{id}" })
            Assert.Contains(path, document);
        var reference = await anonymous.GetAsync("/api/reference");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("text/html", reference.Content.Headers.ContentType!.ToString());
    }
}
