namespace ElectraLab.Storage.Checkpoints;

public sealed record CheckpointInfo(
    Guid Id, Guid ExperimentId, Guid? JobId, long Step, string Kind, long Bytes, byte[] Sha256, int ChunkCount,
    DateTimeOffset CreatedAt);
