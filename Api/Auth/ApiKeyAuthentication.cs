using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using ElectraLab.Storage.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ElectraLab.Api.Auth;

/// <summary>
/// API-key authentication: <c>X-Api-Key: elab_…</c> (or <c>Authorization: Bearer elab_…</c>). A key maps to a user and
/// that user's team; every team-scoped endpoint reads the team from here and nowhere else. The configured admin key
/// authenticates as the admin, who belongs to no team.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyStore keys, ApiKeyCache cache, IOptions<ApiOptions> api)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = ReadKey(Request);
        if (key is null) return AuthenticateResult.NoResult();

        if (api.Value.AdminKey is { Length: > 0 } admin && FixedTimeEquals(key, admin))
        {
            return Success(new Claim(ClaimTypes.Role, Caller.AdminRole), new Claim(ClaimTypes.NameIdentifier, "admin"));
        }

        var identity = cache.Get(key);
        if (identity is null)
        {
            identity = await keys.AuthenticateAsync(key, Context.RequestAborted);
            if (identity is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
            cache.Set(key, identity);
        }
        return Success(
            new Claim(ClaimTypes.NameIdentifier, identity.UserId.ToString()),
            new Claim(Caller.TeamClaim, identity.TeamId.ToString()),
            new Claim(Caller.KeyClaim, identity.KeyId.ToString()));
    }

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header) && header.ToString() is { Length: > 0 } value)
        {
            return value.Trim();
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
}

/// <summary>
/// Recently authenticated keys, by the key's hash, so a request does not write <c>last_used_at</c> under a row lock on
/// every call (50 concurrent clients on one key would queue on it). Revoking through the API evicts at once.
/// </summary>
public sealed class ApiKeyCache(IOptions<ApiOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (ApiKeyIdentity Identity, DateTimeOffset Expires)> _entries = new();

    public ApiKeyIdentity? Get(string key)
    {
        var hash = Convert.ToHexString(ApiKeyStore.Hash(key));
        if (!_entries.TryGetValue(hash, out var entry)) return null;
        if (entry.Expires > time.GetUtcNow()) return entry.Identity;
        _entries.TryRemove(hash, out _);
        return null;
    }

    public void Set(string key, ApiKeyIdentity identity)
    {
        if (options.Value.KeyCacheDuration <= TimeSpan.Zero) return;
        _entries[Convert.ToHexString(ApiKeyStore.Hash(key))] = (identity, time.GetUtcNow() + options.Value.KeyCacheDuration);
    }

    public void Evict(Func<ApiKeyIdentity, bool> match)
    {
        foreach (var (hash, entry) in _entries)
        {
            if (match(entry.Identity)) _entries.TryRemove(hash, out _);
        }
    }
}

/// <summary>The authenticated caller, read from the claims the handler wrote.</summary>
public sealed record Caller(Guid? UserId, Guid? TeamId, Guid? KeyId, bool IsAdmin)
{
    public const string AdminRole = "admin";
    public const string TeamClaim = "electralab:team";
    public const string KeyClaim = "electralab:key";
    public const string TeamPolicy = "team";
    public const string AdminPolicy = "admin";

    /// <summary>The caller's team; only called behind <see cref="TeamPolicy"/>, which guarantees one.</summary>
    public Guid Team => TeamId ?? throw new InvalidOperationException("The caller belongs to no team.");

    public bool CanManageTeam(Guid teamId) => IsAdmin || TeamId == teamId;

    public static Caller From(ClaimsPrincipal user)
    {
        static Guid? Read(ClaimsPrincipal user, string type) => Guid.TryParse(user.FindFirstValue(type), out var id) ? id : null;
        return new Caller(Read(user, ClaimTypes.NameIdentifier), Read(user, TeamClaim), Read(user, KeyClaim), user.IsInRole(AdminRole));
    }
}
