using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Grains.Hosting;
using ElectraLab.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ElectraLab.Grains.Scheduling;

[GenerateSerializer, Alias("electralab.SchedulerGrainState")]
public sealed class SchedulerGrainState
{
    [Id(0)] public List<QueuedJob> Queue { get; set; } = [];
    [Id(1)] public Dictionary<Guid, JobAssignment> Running { get; set; } = [];
    /// <summary>Per team, the slots it has been given (its virtual time for fair share).</summary>
    [Id(2)] public Dictionary<string, double> Served { get; set; } = [];
    [Id(3)] public long Sequence { get; set; }
    [Id(4)] public long Dispatched { get; set; }
}

[GenerateSerializer, Immutable, Alias("electralab.QueuedJob")]
public sealed record QueuedJob(JobRequest Job, long Sequence);

/// <summary>
/// The queue and the slot table. The policy (priority, fair share, FIFO, placement) is <see cref="JobQueue"/>'s; this
/// grain keeps the workers' reports and leases, calls the workers, and persists.
///
/// Durability: the queue is grain state in PostgreSQL. Writes are coalesced (at most every PersistInterval), which is
/// safe because experiments re-enqueue their queued jobs from their reminders (Enqueue is idempotent): a queue that
/// lost its last few hundred milliseconds with its silo is rebuilt from the experiments, which are the authority.
/// Slots are not persisted: workers report them every few seconds, and a worker that stops reporting loses its lease.
/// The scheduler awaits only worker grains (which never call out), and tells experiments about lost jobs one-way, so
/// no call cycle can deadlock it.
/// </summary>
public sealed class SchedulerGrain(
    [PersistentState("scheduler", PlatformSiloBuilderExtensions.StorageName)] IPersistentState<SchedulerGrainState> state,
    IOptions<SchedulerOptions> options,
    ILogger<SchedulerGrain> logger) : Grain, ISchedulerGrain
{
    private readonly SchedulerOptions _options = options.Value;
    private readonly Dictionary<string, Worker> _workers = [];
    private readonly HashSet<Guid> _released = [];
    /// <summary>Every (team, priority) queued since activation: reported as 0 once empty, so a queue that drains shows 0, not nothing.</summary>
    private readonly HashSet<(string Team, int Priority)> _queueLabels = [];
    private bool _dirty;

    private SchedulerGrainState S => state.State;
    private JobQueue Queue => new(state.State);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(PersistAsync, TimeSpan.Zero, _options.PersistInterval);
        this.RegisterGrainTimer(ExpireWorkersAsync, _options.WorkerReportInterval, _options.WorkerReportInterval);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        PlatformTelemetry.ClearQueue(this);
        if (_dirty) await state.WriteStateAsync(cancellationToken);
    }

    public Task EnqueueAsync(JobRequest job)
    {
        Add(job);
        return DispatchAsync();
    }

    public Task EnqueueManyAsync(JobRequest[] jobs)
    {
        foreach (var job in jobs) Add(job);
        return DispatchAsync();
    }

    private void Add(JobRequest job)
    {
        _queueLabels.Add((job.Team, job.Priority));
        if (Queue.Add(job)) _dirty = true;
    }

    public async Task ReleaseAsync(Guid jobId, Guid? dispatchId)
    {
        var (released, dequeued) = Queue.Release(jobId, dispatchId);
        if (released is not null) _released.Add(released.DispatchId);
        if (released is not null || dequeued) _dirty = true;
        await DispatchAsync();
    }

    public async Task ReportWorkerAsync(WorkerReport report)
    {
        var now = DateTimeOffset.UtcNow;
        _workers[report.Silo] = new Worker(report.Slots, now);
        // Dispatches this report no longer shows are finished on the worker: forget that they were released.
        _released.RemoveWhere(d => !report.Slots.Any(s => s.RunningDispatch == d));
        // A slot can be running a dispatch this table does not know (the table lost its last writes with its silo):
        // adopt it so the slot is not double-booked; its experiment still owns its fate.
        foreach (var slot in report.Slots)
        {
            if (slot is { RunningJob: { } jobId, RunningDispatch: { } dispatch } && !_released.Contains(dispatch)
                && Queue.Adopt(jobId, dispatch, report.Silo, slot.Index, now))
            {
                _dirty = true;
            }
        }
        // The reverse: a dispatch this table holds on this worker that the worker no longer runs, well after it was
        // assigned (by the report's own clock, so a report that waited in this grain's queue cannot orphan anything),
        // ended without being reported: its runner failed before it could reach the experiment.
        var grace = _options.WorkerReportInterval * 4;
        foreach (var orphan in S.Running.Values.Where(r => r.Silo == report.Silo && report.ReportedAt - r.AssignedAt > grace
                     && !report.Slots.Any(slot => slot.RunningDispatch == r.DispatchId)).ToList())
        {
            S.Running.Remove(orphan.Job.JobId);
            _dirty = true;
            GrainFactory.GetGrain<IExperimentGrain>(orphan.Job.ExperimentId)
                .JobLostAsync(orphan.Job.JobId, orphan.DispatchId, $"silo {report.Silo} is not running it").Ignore();
        }
        await DispatchAsync();
    }

    public Task<SchedulerSnapshot> GetSnapshotAsync()
    {
        var slots = _workers.SelectMany(w => w.Value.Slots.Select(s =>
        {
            var running = S.Running.Values.FirstOrDefault(r => r.Silo == s.Silo && r.Slot == s.Index);
            return s with { RunningJob = running?.Job.JobId, RunningDispatch = running?.DispatchId };
        })).OrderBy(s => s.Silo, StringComparer.Ordinal).ThenBy(s => s.Index).ToArray();
        return Task.FromResult(new SchedulerSnapshot(Queue.Ordered().Select(q => q.Job).ToArray(),
            S.Running.Values.OrderBy(r => r.AssignedAt).ToArray(), slots, S.Dispatched));
    }

    private async Task DispatchAsync()
    {
        while (!Queue.IsEmpty && FreeSlot() is { } slot && Queue.PickNext() is { } next)
        {
            var assignment = Queue.Assign(next, slot, DateTimeOffset.UtcNow);
            _dirty = true;
            bool started;
            try
            {
                started = await GrainFactory.GetGrain<IWorkerGrain>(slot.Silo).StartJobAsync(assignment);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Worker {Silo} is unreachable; dropping its slots", slot.Silo);
                _workers.Remove(slot.Silo);
                started = false;
            }
            if (!started)
            {
                Queue.Unassign(next);
                if (_workers.TryGetValue(slot.Silo, out var worker)) worker.Blocked.Add(slot.Index);
            }
            else
            {
                PlatformTelemetry.QueueWait.Record(Math.Max(0, (assignment.AssignedAt - next.Job.EnqueuedAt).TotalSeconds),
                    new KeyValuePair<string, object?>("team", next.Job.Team), new KeyValuePair<string, object?>("priority", next.Job.Priority),
                    new KeyValuePair<string, object?>("kind", next.Job.Kind == JobKind.Pretrain ? "pretrain" : next.Job.Kind == JobKind.FinetuneEval ? "finetune-eval" : "noop"));
            }
        }
        var counts = S.Queue.GroupBy(q => (q.Job.Team, q.Job.Priority)).ToDictionary(g => g.Key, g => g.Count());
        _queueLabels.UnionWith(counts.Keys);
        PlatformTelemetry.SetQueue(this, _queueLabels.Select(l => new PlatformTelemetry.QueueCount(l.Team, l.Priority, counts.GetValueOrDefault(l))));
    }

    private SlotInfo? FreeSlot() =>
        Queue.FreeSlot(_workers.Select(w => (w.Key, (IReadOnlyList<SlotInfo>)w.Value.Slots, (IReadOnlySet<int>)w.Value.Blocked)), _released);

    private async Task PersistAsync(CancellationToken cancellationToken)
    {
        if (!_dirty) return;
        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception e)
        {
            _dirty = true;
            logger.LogWarning(e, "Could not persist the scheduler's queue; will retry");
        }
    }

    private Task ExpireWorkersAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (silo, worker) in _workers.Where(w => now - w.Value.LastSeen > _options.WorkerLeaseTimeout).ToList())
        {
            logger.LogWarning("Worker {Silo} has not reported for {Age}; dropping its slots", silo, now - worker.LastSeen);
            _workers.Remove(silo);
        }
        // Dispatches on silos with no live worker are lost. Their experiments decide what follows (retry or fail).
        // Only after a lease timeout: a scheduler that just (re)activated has not heard from any worker yet.
        if (now - _activatedAt < _options.WorkerLeaseTimeout) return Task.CompletedTask;
        foreach (var lost in S.Running.Values.Where(r => !_workers.ContainsKey(r.Silo)).ToList())
        {
            S.Running.Remove(lost.Job.JobId);
            _dirty = true;
            GrainFactory.GetGrain<IExperimentGrain>(lost.Job.ExperimentId)
                .JobLostAsync(lost.Job.JobId, lost.DispatchId, $"silo {lost.Silo} stopped reporting").Ignore();
        }
        return DispatchAsync();
    }

    private readonly DateTimeOffset _activatedAt = DateTimeOffset.UtcNow;

    private sealed record Worker(SlotInfo[] Slots, DateTimeOffset LastSeen)
    {
        public HashSet<int> Blocked { get; } = [];
    }
}
