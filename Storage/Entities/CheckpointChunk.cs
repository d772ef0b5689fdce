namespace ElectraLab.Storage.Entities;

public sealed class CheckpointChunk
{
    public Guid CheckpointId { get; set; }
    public int Index { get; set; }
    public required byte[] Data { get; set; }
}
