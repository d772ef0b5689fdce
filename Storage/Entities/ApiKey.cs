namespace ElectraLab.Storage.Entities;

/// <summary>An API key: only its SHA-256 hash is stored; the key itself is shown once at creation.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public required byte[] KeyHash { get; set; }
    /// <summary>The first characters of the key, so a user can tell keys apart.</summary>
    public required string Prefix { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
