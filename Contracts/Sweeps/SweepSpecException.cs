namespace ElectraLab.Contracts.Sweeps;

/// <summary>A sweep spec that cannot run. <see cref="Field"/> is the offending field's path, e.g. <c>search.grid.mask_prob</c>.</summary>
[GenerateSerializer, Alias("electralab.SweepSpecException")]
public sealed class SweepSpecException : Exception
{
    public SweepSpecException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    public SweepSpecException(string field, string problem, Exception inner)
        : base($"{field}: {problem}", inner)
    {
        Field = field;
        Problem = problem;
    }

    [Id(0)] public string Field { get; }
    [Id(1)] public string Problem { get; }
}
