namespace ElectraLab.Storage.Entities;

/// <summary>One fine-tuning seed's score on one task metric, for one pre-training checkpoint.</summary>
public sealed class EvaluationResult
{
    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    public long CheckpointStep { get; set; }
    public required string Task { get; set; }
    public required string Metric { get; set; }
    public int Seed { get; set; }
    public double Value { get; set; }
    public Guid? JobId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
