namespace ElectraLab.Storage.Entities;

public sealed class DatasetChunk
{
    public Guid DatasetId { get; set; }
    public int Index { get; set; }
    public required byte[] Data { get; set; }
}
