using Orleans.Concurrency;

using ElectraLab.Contracts.Experiments;

namespace ElectraLab.Contracts.Sweeps;

/// <summary>One sweep, keyed by its id: expands the spec into experiments, tracks them, cancels, decides early stops.</summary>
public interface ISweepGrain : IGrainWithGuidKey
{
    /// <summary>Validates, persists and expands the spec, and starts its experiments. Idempotent for the same spec.</summary>
    /// <exception cref="SweepSpecException">The spec cannot run; the exception names the field.</exception>
    Task<SweepSubmission> SubmitAsync(SweepSpec spec);

    Task<SweepStatus> GetStatusAsync();

    /// <summary>Cancels every experiment that has not finished.</summary>
    Task CancelAsync(string reason);

    /// <summary>A pre-training run reached a rung: true to continue, false to stop early.</summary>
    Task<bool> ReportRungAsync(Guid experimentId, long step, double value);

    /// <summary>An experiment changed state (sent by the experiment, one-way so the two grains never wait on each other).</summary>
    [OneWay]
    Task ExperimentChangedAsync(ExperimentStatus status);
}

[GenerateSerializer, Immutable, Alias("electralab.SweepSubmission")]
public sealed record SweepSubmission(Guid SweepId, Guid[] ExperimentIds);

[GenerateSerializer, Immutable, Alias("electralab.SweepStatus")]
public sealed record SweepStatus(Guid SweepId, string Name, string Team, string State, ExperimentStatus[] Experiments)
{
    public const string Running = "running";
    public const string Completed = "completed";
    /// <summary>Every experiment ended and none completed (at least one failed).</summary>
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string NotSubmitted = "not-submitted";

    public bool IsFinished => State is Completed or Failed or Cancelled;
}
