using ElectraLab.Contracts.Scheduling;
using ElectraLab.Grains.Jobs;
using Orleans.Concurrency;

namespace ElectraLab.Grains.Scheduling;

/// <summary>
/// A silo's worker: the grain face of its <see cref="JobRunner"/>. It only touches the runner's thread-safe queue and
/// never calls another grain, so it is reentrant and the scheduler can never deadlock on it.
/// </summary>
[SiloBoundPlacement, Reentrant]
public sealed class WorkerGrain(JobRunner runner) : Grain, IWorkerGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (this.GetPrimaryKeyString() != runner.SiloKey)
        {
            throw new InvalidOperationException($"Worker {this.GetPrimaryKeyString()} was activated on silo {runner.SiloKey}.");
        }
        return Task.CompletedTask;
    }

    public Task<bool> StartJobAsync(JobAssignment assignment) => Task.FromResult(runner.TryStart(assignment));

    public Task<bool> CancelJobAsync(Guid dispatchId, string reason) => Task.FromResult(runner.Cancel(dispatchId, reason));

    public Task<SlotInfo[]> GetSlotsAsync() => Task.FromResult(runner.SlotInfos());
}
