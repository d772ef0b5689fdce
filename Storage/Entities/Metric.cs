namespace ElectraLab.Storage.Entities;

/// <summary>One metric point. Keyed by (experiment, name, step): a replayed step is written once.</summary>
public sealed class Metric
{
    public Guid ExperimentId { get; set; }
    public required string Name { get; set; }
    public long Step { get; set; }
    public double Value { get; set; }
    public Guid? JobId { get; set; }
    public DateTimeOffset Time { get; set; }
}
