namespace ElectraLab.Benchmarks.Storage;

/// <summary>
/// What <c>electralab bench storage</c> measures. <see cref="Scale"/> 1 is the size (100k experiments, 100M
/// metric points); smaller scales shrink the generated dataset proportionally.
/// </summary>
public sealed record BenchmarkOptions
{
    public double Scale { get; init; } = 1.0;
    public int IngestPoints { get; init; } = 2_000_000;
    public int CheckpointMegabytes { get; init; } = 100;
    public int Queries { get; init; } = 200;
    public int Teams { get; init; } = 20;

    public int Experiments => Math.Max(Teams, (int)(100_000 * Scale));
    public long MetricPoints => Math.Max(1_000_000, (long)(100_000_000 * Scale));
}
