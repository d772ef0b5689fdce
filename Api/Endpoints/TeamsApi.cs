using ElectraLab.Api.Auth;
using ElectraLab.Storage;
using ElectraLab.Storage.Auth;
using ElectraLab.Storage.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ElectraLab.Api.Endpoints;

public sealed record TeamView(Guid Id, string Name, DateTimeOffset CreatedAt);

public sealed record UserView(Guid Id, Guid TeamId, string Name, string Email, DateTimeOffset CreatedAt);

public sealed record KeyView(Guid Id, Guid UserId, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A new key: <see cref="Key"/> is shown here once and never again (only its hash is stored).</summary>
public sealed record KeyCreated(Guid Id, Guid UserId, string Prefix, string Key);

public sealed record UserCreated(UserView User, KeyCreated ApiKey);

public sealed record CreateTeam(string? Name);

public sealed record CreateUser(string? Name, string? Email);

public sealed record Me(Guid? UserId, string? Name, string? Email, TeamView? Team, bool IsAdmin);

/// <summary>
/// Teams, users and API keys. The admin key creates teams and their first users; a team's members manage their own
/// team's users and keys. Anything of another team is 404, exactly as if it did not exist.
/// </summary>
public static class TeamsApi
{
    public static RouteGroupBuilder MapTeamsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/").WithTags("Teams, users and keys");
        group.MapGet("/me", MeAsync).WithName("Me").WithSummary("Who the key belongs to");
        group.MapPost("/teams", CreateTeamAsync).WithName("CreateTeam").WithSummary("Create a team (admin)").RequireAuthorization(Caller.AdminPolicy);
        group.MapGet("/teams", ListTeamsAsync).WithName("ListTeams").WithSummary("All teams (admin); a member sees their own");
        group.MapGet("/teams/{teamId:guid}/users", ListUsersAsync).WithName("ListUsers").WithSummary("A team's users");
        group.MapPost("/teams/{teamId:guid}/users", CreateUserAsync).WithName("CreateUser")
            .WithSummary("Add a user to a team; returns the user's first API key, shown once");
        group.MapGet("/users/{userId:guid}/keys", ListKeysAsync).WithName("ListKeys").WithSummary("A user's keys (prefixes only)");
        group.MapPost("/users/{userId:guid}/keys", CreateKeyAsync).WithName("CreateKey").WithSummary("Issue a key, shown once");
        group.MapDelete("/keys/{keyId:guid}", RevokeKeyAsync).WithName("RevokeKey").WithSummary("Revoke a key");
        return group;
    }

    public static async Task<Ok<Me>> MeAsync(HttpContext context, IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        if (caller.IsAdmin) return TypedResults.Ok(new Me(null, "admin", null, null, true));
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == caller.UserId, cancellationToken);
        var team = await db.Teams.AsNoTracking().SingleAsync(t => t.Id == user.TeamId, cancellationToken);
        return TypedResults.Ok(new Me(user.Id, user.Name, user.Email, new TeamView(team.Id, team.Name, team.CreatedAt), false));
    }

    public static async Task<Results<Created<TeamView>, ValidationProblem>> CreateTeamAsync(CreateTeam request,
        IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100) return ApiProblems.Field("name", "must be 1 to 100 characters");
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var team = new Team { Id = Guid.CreateVersion7(), Name = name, CreatedAt = DateTimeOffset.UtcNow };
        db.Teams.Add(team);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return ApiProblems.Field("name", $"a team named '{name}' exists");
        }
        return TypedResults.Created($"/api/teams/{team.Id}", new TeamView(team.Id, team.Name, team.CreatedAt));
    }

    public static async Task<Ok<List<TeamView>>> ListTeamsAsync(HttpContext context, IDbContextFactory<ElectraLabDbContext> dbs,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var teams = await db.Teams.AsNoTracking().Where(t => caller.IsAdmin || t.Id == caller.TeamId).OrderBy(t => t.Name)
            .Select(t => new TeamView(t.Id, t.Name, t.CreatedAt)).ToListAsync(cancellationToken);
        return TypedResults.Ok(teams);
    }

    public static async Task<Results<Ok<List<UserView>>, NotFound>> ListUsersAsync(Guid teamId, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        if (!Caller.From(context.User).CanManageTeam(teamId)) return TypedResults.NotFound();
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Teams.AnyAsync(t => t.Id == teamId, cancellationToken)) return TypedResults.NotFound();
        var users = await db.Users.AsNoTracking().Where(u => u.TeamId == teamId).OrderBy(u => u.Email)
            .Select(u => new UserView(u.Id, u.TeamId, u.Name, u.Email, u.CreatedAt)).ToListAsync(cancellationToken);
        return TypedResults.Ok(users);
    }

    public static async Task<Results<Created<UserCreated>, NotFound, ValidationProblem>> CreateUserAsync(Guid teamId, CreateUser request,
        HttpContext context, IDbContextFactory<ElectraLabDbContext> dbs, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        if (!Caller.From(context.User).CanManageTeam(teamId)) return TypedResults.NotFound();
        var name = request.Name?.Trim();
        var email = request.Email?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(name) || name.Length > 200) return ApiProblems.Field("name", "must be 1 to 200 characters");
        if (string.IsNullOrEmpty(email) || email.Length > 320 || !email.Contains('@')) return ApiProblems.Field("email", "must be an email address");
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Teams.AnyAsync(t => t.Id == teamId, cancellationToken)) return TypedResults.NotFound();
        var user = new User { Id = Guid.CreateVersion7(), TeamId = teamId, Name = name, Email = email, CreatedAt = DateTimeOffset.UtcNow };
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return ApiProblems.Field("email", $"a user with email '{email}' exists");
        }
        var key = await keys.IssueAsync(user.Id, cancellationToken);
        return TypedResults.Created($"/api/teams/{teamId}/users",
            new UserCreated(new UserView(user.Id, user.TeamId, user.Name, user.Email, user.CreatedAt), new KeyCreated(key.Id, user.Id, key.Prefix, key.Key)));
    }

    public static async Task<Results<Ok<List<KeyView>>, NotFound>> ListKeysAsync(Guid userId, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (await UserTeamAsync(db, userId, cancellationToken) is not { } team || !Caller.From(context.User).CanManageTeam(team))
            return TypedResults.NotFound();
        var list = await db.ApiKeys.AsNoTracking().Where(k => k.UserId == userId).OrderBy(k => k.CreatedAt)
            .Select(k => new KeyView(k.Id, k.UserId, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt)).ToListAsync(cancellationToken);
        return TypedResults.Ok(list);
    }

    public static async Task<Results<Created<KeyCreated>, NotFound>> CreateKeyAsync(Guid userId, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            if (await UserTeamAsync(db, userId, cancellationToken) is not { } team || !Caller.From(context.User).CanManageTeam(team))
                return TypedResults.NotFound();
        }
        var key = await keys.IssueAsync(userId, cancellationToken);
        return TypedResults.Created($"/api/users/{userId}/keys", new KeyCreated(key.Id, userId, key.Prefix, key.Key));
    }

    public static async Task<Results<NoContent, NotFound>> RevokeKeyAsync(Guid keyId, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, ApiKeyStore keys, ApiKeyCache cache, CancellationToken cancellationToken)
    {
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            var team = await db.ApiKeys.Where(k => k.Id == keyId)
                .Join(db.Users, k => k.UserId, u => u.Id, (_, u) => (Guid?)u.TeamId).SingleOrDefaultAsync(cancellationToken);
            if (team is null || !Caller.From(context.User).CanManageTeam(team.Value)) return TypedResults.NotFound();
        }
        await keys.RevokeAsync(keyId, cancellationToken);
        cache.Evict(identity => identity.KeyId == keyId);
        return TypedResults.NoContent();
    }

    private static Task<Guid?> UserTeamAsync(ElectraLabDbContext db, Guid userId, CancellationToken cancellationToken) =>
        db.Users.Where(u => u.Id == userId).Select(u => (Guid?)u.TeamId).SingleOrDefaultAsync(cancellationToken);
}
