namespace ElectraLab.Storage.Entities;

public sealed class Job
{
    public const string Pretrain = "pretrain";
    public const string FinetuneEval = "finetune-eval";

    public Guid Id { get; set; }
    public Guid ExperimentId { get; set; }
    /// <summary><see cref="Pretrain"/> or <see cref="FinetuneEval"/>.</summary>
    public required string Kind { get; set; }
    /// <summary>For finetune-eval jobs: the task (e.g. cola, squad1).</summary>
    public string? Task { get; set; }
    public long? CheckpointStep { get; set; }
    public string Status { get; set; } = "queued";
    public int Attempt { get; set; }
    public string? Silo { get; set; }
    public string? Device { get; set; }
    public DateTimeOffset? HeartbeatAt { get; set; }
    public DateTimeOffset QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
}
