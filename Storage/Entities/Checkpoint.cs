namespace ElectraLab.Storage.Entities;

public sealed class Checkpoint
{
    public const string TrainingState = "training-state";
    public const string HuggingFace = "hf-export";

    /// <summary>A fine-tuned model (the median seed's) as a Hugging Face folder: the kind is "hf-finetuned:&lt;task&gt;".</summary>
    public const string FinetunedPrefix = "hf-finetuned:";

    public Guid Id { get; set; }
    public Guid ExperimentId { get; set; }
    public Guid? JobId { get; set; }
    public long Step { get; set; }
    public required string Kind { get; set; }
    public long Bytes { get; set; }
    public byte[]? Sha256 { get; set; }
    public int ChunkSize { get; set; }
    public int ChunkCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Null while chunks are being written; readers only see published checkpoints.</summary>
    public DateTimeOffset? PublishedAt { get; set; }
}
