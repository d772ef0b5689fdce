namespace ElectraLab.Storage.Entities;

/// <summary>
/// Min/max/last/count of one metric over a block of <see cref="BlockSteps"/> steps, maintained by the metric writer
/// from exactly the points it inserted, so long curves downsample from a thousand times fewer rows.
/// </summary>
public sealed class MetricRollup
{
    public const int BlockSteps = 1024;

    public Guid ExperimentId { get; set; }
    public required string Name { get; set; }
    public long Block { get; set; }
    public long FirstStep { get; set; }
    public long LastStep { get; set; }
    public double MinValue { get; set; }
    public double MaxValue { get; set; }
    public double LastValue { get; set; }
    public long Points { get; set; }
}
