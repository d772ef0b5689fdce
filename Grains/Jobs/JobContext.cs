using ElectraLab.Contracts.Scheduling;
using ElectraLab.Grains.Hosting;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Datasets;
using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Results;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Grains.Jobs;

/// <summary>What the silo gives every job handler: its platform services and the outage-proof way to call them.</summary>
internal sealed class JobServices(IGrainFactory grains, MetricWriter metrics, CheckpointStore checkpoints,
    EvaluationResultStore results, DatasetStore datasets, JobOptions options, Workers.WorkerCommand workerCommand, ILogger logger)
{
    public IGrainFactory Grains { get; } = grains;
    public MetricWriter Metrics { get; } = metrics;
    public CheckpointStore Checkpoints { get; } = checkpoints;
    public EvaluationResultStore Results { get; } = results;
    public DatasetStore Datasets { get; } = datasets;
    public JobOptions Options { get; } = options;
    public ILogger Logger { get; } = logger;

    public Workers.WorkerSession Workers() => new(workerCommand, Options, Logger);

    private int _faultInjected;

    /// <summary>The step at which this worker is to crash (<see cref="JobOptions.InjectSegfaultAtStep"/>, once per silo), or null.</summary>
    public long? TakeInjectedFault() =>
        Options.InjectSegfaultAtStep is { } step && Interlocked.Exchange(ref _faultInjected, 1) == 0 ? step : null;

    /// <summary>An idempotent storage or grain call from a job thread that waits out a database outage.</summary>
    public T Durable<T>(Func<Task<T>> call, string what, CancellationToken cancellationToken) =>
        OutageRetry.Run(call, what, Logger, cancellationToken);

    public void Durable(Func<Task> call, string what, CancellationToken cancellationToken) =>
        OutageRetry.Run(call, what, Logger, cancellationToken);
}

/// <summary>One attempt of one job on one slot, with the scratch folder it may use.</summary>
internal sealed record JobContext(DeviceSlot Slot, RunningJob Job, JobPayload Payload, string WorkDirectory)
{
    public JobAssignment Assignment => Job.Assignment;
}
