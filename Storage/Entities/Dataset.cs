namespace ElectraLab.Storage.Entities;

/// <summary>
/// A prepared dataset pushed into the cluster (`electralab data push`): one version of a team's named dataset, stored
/// as chunks of its canonical tar and identified by that tar's SHA-256.
/// </summary>
public sealed class Dataset
{
    public Guid Id { get; set; }
    public Guid TeamId { get; set; }
    public required string Name { get; set; }
    /// <summary>Lower-case hex SHA-256 of the canonical tar: the version's identity ("NAME@sha").</summary>
    public required string Sha256 { get; set; }
    public long Bytes { get; set; }
    public int ChunkSize { get; set; }
    public int ChunkCount { get; set; }
    public long Examples { get; set; }
    public long Tokens { get; set; }
    public int MaxSeqLength { get; set; }
    public bool LowerCase { get; set; }
    public required string VocabSha256 { get; set; }
    public int VocabSize { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Null while chunks are being written; nothing reads an unpublished dataset.</summary>
    public DateTimeOffset? PublishedAt { get; set; }
}
