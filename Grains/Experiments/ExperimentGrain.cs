using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Hosting;
using ElectraLab.Grains.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ElectraLab.Grains.Experiments;

[GenerateSerializer, Alias("electralab.ExperimentGrainState")]
public sealed class ExperimentGrainState
{
    [Id(0)] public ExperimentSpec? Spec { get; set; }
    [Id(1)] public ExperimentState State { get; set; }
    [Id(2)] public string? Reason { get; set; }
    [Id(3)] public List<JobRecord> Jobs { get; set; } = [];
    [Id(4)] public long Step { get; set; }
    [Id(5)] public double TrainFlops { get; set; }
    /// <summary>The trace context of the call that started the experiment (the sweep's submission), for its jobs' spans.</summary>
    [Id(6)] public string? TraceParent { get; set; }
}

[GenerateSerializer, Alias("electralab.JobRecord")]
public sealed class JobRecord
{
    [Id(0)] public Guid JobId { get; set; }
    [Id(1)] public JobKind Kind { get; set; }
    [Id(2)] public string? Task { get; set; }
    [Id(3)] public long? CheckpointStep { get; set; }
    [Id(4)] public JobState State { get; set; }
    [Id(5)] public int Attempts { get; set; }
    [Id(6)] public Guid? DispatchId { get; set; }
    [Id(7)] public string? Silo { get; set; }
    [Id(8)] public string? Device { get; set; }
    [Id(9)] public long Step { get; set; }
    [Id(10)] public long? ResumedFromStep { get; set; }
    [Id(11)] public DateTimeOffset EnqueuedAt { get; set; }
    [Id(12)] public DateTimeOffset? StartedAt { get; set; }
    [Id(13)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(14)] public string? Error { get; set; }
    [Id(15)] public string? Detail { get; set; }

    public JobStatus ToStatus() => new(JobId, Kind, Task, CheckpointStep, State, Attempts, Silo, Device, Step, ResumedFromStep,
        EnqueuedAt, StartedAt, FinishedAt, Error, State == JobState.Running ? Detail : null);
}

/// <summary>
/// The experiment's control plane. The transitions are <see cref="ExperimentLifecycle"/>'s; this grain persists them
/// (grain state and its PostgreSQL rows) and carries out their effects; nothing here waits on training. A reminder
/// checks the heartbeats of running jobs: one silent for the heartbeat timeout is presumed lost with its silo and
/// re-queued (it resumes from its last checkpoint), up to the sweep's max_attempts; the same reminder re-enqueues
/// queued jobs, so a scheduler that lost its queue is reconciled. Dispatch ids make every report idempotent: a report
/// from a superseded dispatch is ignored and told to stop.
/// </summary>
public sealed class ExperimentGrain(
    [PersistentState("experiment", PlatformSiloBuilderExtensions.StorageName)] IPersistentState<ExperimentGrainState> state,
    PlatformStore store,
    IOptions<JobOptions> options,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain, IRemindable
{
    private const string HeartbeatReminder = "heartbeat-check";
    // Progress between transitions: pushed to the sweep (live views) and written to the row (train FLOPs on the
    // leaderboard and in lists) at most this often, so a heartbeat stays cheap.
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProgressRowInterval = TimeSpan.FromSeconds(15);
    private DateTimeOffset _progressPushed;
    private DateTimeOffset _progressWritten;
    private readonly JobOptions _options = options.Value;
    private ExperimentLifecycle? _lifecycle;
    // A transition applied in memory whose save failed (the database was away): saved again by the next report or check.
    private bool _unsaved;

    private ExperimentLifecycle Lifecycle => _lifecycle ??= new ExperimentLifecycle(state.State, this.GetPrimaryKey());
    private ExperimentGrainState S => state.State;
    private ExperimentSpec Spec => Lifecycle.Spec;
    private ISchedulerGrain Scheduler => GrainFactory.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Lifecycle.Activated(DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public async Task<JobRequest?> StartAsync(ExperimentSpec spec)
    {
        if (Lifecycle.Start(spec, DateTimeOffset.UtcNow) is not { } job) return null;
        state.State.TraceParent = System.Diagnostics.Activity.Current?.Id;
        await state.WriteStateAsync();
        await store.SaveJobAsync(spec.ExperimentId, job.ToStatus());
        await this.RegisterOrUpdateReminder(HeartbeatReminder, CheckPeriod, CheckPeriod);
        NotifySweep();
        return Request(job);
    }

    public Task<ExperimentStatus> GetStatusAsync() => Task.FromResult(Lifecycle.Status());

    public Task<JobPayload> GetJobPayloadAsync(Guid jobId)
    {
        var job = Lifecycle.Find(jobId) ?? throw new KeyNotFoundException($"Experiment {Spec.ExperimentId} has no job {jobId}.");
        var spec = Spec;
        return Task.FromResult(new JobPayload(spec.ExperimentId, spec.SweepId, job.JobId, job.Kind, job.Task, job.CheckpointStep,
            spec.ConfigJson, spec.FinetuneSeeds, spec.Evaluations, spec.EarlyStopping, spec.Checkpoints, spec.Workload, S.TraceParent));
    }

    public async Task<bool> JobStartedAsync(JobStarted started)
    {
        var (accepted, transition) = Lifecycle.JobStarted(started, DateTimeOffset.UtcNow);
        await ApplyAsync(transition);
        return accepted;
    }

    public async Task<bool> HeartbeatAsync(JobHeartbeat heartbeat)
    {
        var now = DateTimeOffset.UtcNow;
        if (!Lifecycle.Heartbeat(heartbeat, now)) return false;
        if (now - _progressPushed >= ProgressInterval)
        {
            _progressPushed = now;
            NotifySweep();
        }
        if (now - _progressWritten >= ProgressRowInterval)
        {
            _progressWritten = now;
            try
            {
                await store.SetExperimentStatusAsync(Spec.ExperimentId, S.State, S.TrainFlops, S.Reason);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Progress only: the next heartbeat or transition writes it. A heartbeat never fails on the database.
                logger.LogDebug(e, "Progress of experiment {ExperimentId} not written", Spec.ExperimentId);
            }
        }
        return true;
    }

    public async Task MilestoneReachedAsync(Guid jobId, Guid dispatchId, long step)
    {
        var transition = Lifecycle.MilestoneReached(jobId, dispatchId, step, DateTimeOffset.UtcNow);
        // The new jobs are persisted before they are enqueued: a job the scheduler runs is one this experiment knows.
        if (transition.ChangedAll) await SaveAsync(null);
        transition.ChangedAll = false;
        await ApplyAsync(transition);
    }

    public Task JobFinishedAsync(JobOutcome outcome) => ApplyAsync(Lifecycle.JobFinished(outcome, DateTimeOffset.UtcNow));

    public Task JobLostAsync(Guid jobId, Guid dispatchId, string reason) =>
        ApplyAsync(Lifecycle.JobLost(jobId, dispatchId, reason, DateTimeOffset.UtcNow));

    public Task CancelAsync(string reason) => ApplyAsync(Lifecycle.Stop(ExperimentState.Cancelled, reason, DateTimeOffset.UtcNow));

    public Task StopEarlyAsync(string reason) => ApplyAsync(Lifecycle.Stop(ExperimentState.StoppedEarly, reason, DateTimeOffset.UtcNow));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_unsaved && S.Spec is not null) await SaveAsync(null);
        if (S.Spec is null || Lifecycle.IsTerminal)
        {
            if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        await ApplyAsync(Lifecycle.CheckHeartbeats(DateTimeOffset.UtcNow, _options.HeartbeatTimeout));
    }

    private TimeSpan CheckPeriod => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, _options.HeartbeatTimeout.Ticks / 2));

    /// <summary>Carries out a transition's effects in order, then persists what it changed.</summary>
    private async Task ApplyAsync(Transition transition)
    {
        foreach (var effect in transition.Effects)
        {
            switch (effect)
            {
                case LifecycleEffect.SaveJob save:
                    await store.SaveJobAsync(Spec.ExperimentId, save.Job.ToStatus());
                    break;
                case LifecycleEffect.Enqueue enqueue:
                    if (enqueue.Requeued is { } reason)
                        logger.LogInformation("Re-queuing job {JobId} (attempt {Attempt} ended: {Reason})", enqueue.Job.JobId, enqueue.Job.Attempts, reason);
                    var request = Request(enqueue.Job);
                    await Scheduler.EnqueueAsync(enqueue.EnqueuedAt is { } at ? request with { EnqueuedAt = at } : request);
                    break;
                case LifecycleEffect.Release release:
                    await Scheduler.ReleaseAsync(release.JobId, release.DispatchId);
                    break;
                case LifecycleEffect.StopJob stop:
                    try
                    {
                        await GrainFactory.GetGrain<IWorkerGrain>(stop.Silo).CancelJobAsync(stop.DispatchId, stop.Reason);
                    }
                    catch (Exception e)
                    {
                        // Its silo is gone: the scheduler frees the slot when the worker's lease runs out.
                        logger.LogInformation(e, "Could not reach silo {Silo} to stop job {JobId}", stop.Silo, stop.JobId);
                    }
                    break;
                case LifecycleEffect.Ended:
                    if (await this.GetReminder(HeartbeatReminder) is { } reminder) await this.UnregisterReminder(reminder);
                    break;
                case LifecycleEffect.Warn warn:
                    logger.LogWarning("{Message}", warn.Message);
                    break;
            }
        }
        if (transition.ChangedAll) await SaveAsync(null);
        else if (transition.Changed is { } job) await SaveAsync(job);
        // A repeated report (the runner retries through a database outage): persist what an earlier one could not.
        else if (transition.Repeated is { } repeated && _unsaved) await SaveAsync(repeated);
    }

    /// <summary>Persists the grain state, the job's row (every job's with null) and the experiment's status.</summary>
    private async Task SaveAsync(JobRecord? job)
    {
        // After a failed save, other jobs' rows may be behind too; they are few, so then write them all.
        var all = _unsaved || job is null;
        _unsaved = true;
        await state.WriteStateAsync();
        foreach (var other in all ? S.Jobs : [job!]) await store.SaveJobAsync(Spec.ExperimentId, other.ToStatus());
        await store.SetExperimentStatusAsync(Spec.ExperimentId, S.State, S.TrainFlops, S.Reason);
        _unsaved = false;
        NotifySweep();
    }

    private JobRequest Request(JobRecord job) =>
        new(job.JobId, Spec.ExperimentId, Spec.SweepId, Spec.Team, Spec.Priority, job.Kind, job.Task, job.EnqueuedAt);

    private void NotifySweep()
    {
        if (S.Spec is not null) GrainFactory.GetGrain<ISweepGrain>(S.Spec.SweepId).ExperimentChangedAsync(Lifecycle.Status()).Ignore();
    }
}
