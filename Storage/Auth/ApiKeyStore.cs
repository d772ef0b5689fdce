using System.Security.Cryptography;
using System.Text;
using ElectraLab.Storage.Resilience;
using Npgsql;

namespace ElectraLab.Storage.Auth;

public sealed record IssuedApiKey(Guid Id, string Key, string Prefix);

public sealed record ApiKeyIdentity(Guid KeyId, Guid UserId, Guid TeamId);

/// <summary>
/// API keys: the key is shown once when issued; only its SHA-256 is stored (a 256-bit random key needs no slow hash),
/// so a database leak reveals no usable key.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    private const string KeyPrefix = "elab_";

    public Task<IssuedApiKey> IssueAsync(Guid userId, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => IssueOnceAsync(userId, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<IssuedApiKey> IssueOnceAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        var key = KeyPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var id = Guid.CreateVersion7();
        var prefix = key[..(KeyPrefix.Length + 8)];
        await using var command = dataSource.CreateCommand(
            "INSERT INTO api_keys (id, user_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4, now())");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = userId });
        command.Parameters.Add(new() { Value = Hash(key) });
        command.Parameters.Add(new() { Value = prefix });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new IssuedApiKey(id, key, prefix);
    }

    /// <summary>The user and team behind a key, or null for an unknown or revoked key.</summary>
    public Task<ApiKeyIdentity?> AuthenticateAsync(string key, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => AuthenticateOnceAsync(key, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<ApiKeyIdentity?> AuthenticateOnceAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE api_keys k SET last_used_at = now()
            FROM users u
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.id = k.user_id
            RETURNING k.id, u.id, u.team_id
            """);
        command.Parameters.Add(new() { Value = Hash(key) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ApiKeyIdentity(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2))
            : null;
    }

    public Task<bool> RevokeAsync(Guid keyId, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => RevokeOnceAsync(keyId, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<bool> RevokeOnceAsync(Guid keyId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL");
        command.Parameters.Add(new() { Value = keyId });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
