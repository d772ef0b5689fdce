using System.Security.Cryptography;
using System.Text;
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

    public JobStatus ToStatus() => new(JobId, Kind, Task, CheckpointStep, State, Attempts, Silo, Device, Step, ResumedFromStep,
        EnqueuedAt, StartedAt, FinishedAt, Error);
}

/// <summary>
/// The experiment's control plane. Every transition is validated, persisted (grain state and its PostgreSQL rows), and
/// returned from; nothing here waits on training. A reminder checks the heartbeats of running jobs: one silent for the
/// heartbeat timeout is presumed lost with its silo and re-queued (it resumes from its last checkpoint), up to the
/// sweep's max_attempts; the same reminder re-enqueues queued jobs, so a scheduler that lost its queue is reconciled.
/// Dispatch ids make every report idempotent: a report from a superseded dispatch is ignored and told to stop.
/// </summary>
public sealed class ExperimentGrain(
    [PersistentState("experiment", PlatformSiloBuilderExtensions.StorageName)] IPersistentState<ExperimentGrainState> state,
    PlatformStore store,
    IOptions<JobOptions> options,
    ILogger<ExperimentGrain> logger) : Grain, IExperimentGrain, IRemindable
{
    private const string HeartbeatReminder = "heartbeat-check";
    private readonly JobOptions _options = options.Value;
    private readonly Dictionary<Guid, DateTimeOffset> _heartbeats = [];
    // A transition applied in memory whose save failed (the database was away): saved again by the next report or check.
    private bool _unsaved;

    private ExperimentGrainState S => state.State;
    private ExperimentSpec Spec => S.Spec ?? throw new InvalidOperationException($"Experiment {this.GetPrimaryKey()} was never started.");
    private ISchedulerGrain Scheduler => GrainFactory.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Heartbeats live in memory; after a (re)activation every running job gets one full timeout of grace.
        var now = DateTimeOffset.UtcNow;
        foreach (var job in S.Jobs.Where(j => j.State == JobState.Running)) _heartbeats[job.JobId] = now;
        return Task.CompletedTask;
    }

    public async Task<JobRequest?> StartAsync(ExperimentSpec spec)
    {
        if (S.Spec is not null) return null;
        S.Spec = spec;
        S.State = ExperimentState.Queued;
        var kind = spec.Workload.Kind == WorkloadSpec.Noop ? JobKind.Noop : JobKind.Pretrain;
        var job = NewJob(kind, null, null);
        S.Jobs.Add(job);
        await state.WriteStateAsync();
        await store.SaveJobAsync(spec.ExperimentId, job.ToStatus());
        await this.RegisterOrUpdateReminder(HeartbeatReminder, CheckPeriod, CheckPeriod);
        NotifySweep();
        return Request(job);
    }

    public Task<ExperimentStatus> GetStatusAsync() => Task.FromResult(Status());

    public Task<JobPayload> GetJobPayloadAsync(Guid jobId)
    {
        var job = Find(jobId) ?? throw new KeyNotFoundException($"Experiment {Spec.ExperimentId} has no job {jobId}.");
        var spec = Spec;
        return Task.FromResult(new JobPayload(spec.ExperimentId, spec.SweepId, job.JobId, job.Kind, job.Task, job.CheckpointStep,
            spec.ConfigJson, spec.FinetuneSeeds, spec.Evaluations, spec.EarlyStopping, spec.Checkpoints, spec.Workload));
    }

    public async Task<bool> JobStartedAsync(JobStarted started)
    {
        var job = Find(started.JobId);
        if (job is null || S.State.IsTerminal() || job.State is not (JobState.Queued or JobState.Running)) return false;
        if (job.DispatchId == started.DispatchId)
        {
            // A repeated report (the runner retries through a database outage): persist what an earlier one could not.
            if (_unsaved) await SaveAsync(job);
            return true;
        }
        // A new dispatch of a job that still looks running elsewhere: the scheduler lost that silo first. The new one wins.
        job.State = JobState.Running;
        job.DispatchId = started.DispatchId;
        job.Attempts++;
        job.Silo = started.Silo;
        job.Device = started.Device;
        job.StartedAt = DateTimeOffset.UtcNow;
        job.ResumedFromStep = started.ResumedFromStep;
        _heartbeats[job.JobId] = DateTimeOffset.UtcNow;
        if (job.Kind is JobKind.Pretrain or JobKind.Noop && S.State == ExperimentState.Queued) S.State = ExperimentState.Pretraining;
        if (job.Kind == JobKind.FinetuneEval && S.State == ExperimentState.Queued) S.State = ExperimentState.Evaluating;
        await SaveAsync(job);
        return true;
    }

    public Task<bool> HeartbeatAsync(JobHeartbeat heartbeat)
    {
        var job = Find(heartbeat.JobId);
        if (job is null || job.DispatchId != heartbeat.DispatchId || job.State != JobState.Running || S.State.IsTerminal())
        {
            return Task.FromResult(false);
        }
        _heartbeats[job.JobId] = DateTimeOffset.UtcNow;
        job.Step = heartbeat.Step;
        if (job.Kind == JobKind.Pretrain)
        {
            S.Step = Math.Max(S.Step, heartbeat.Step);
            S.TrainFlops = Math.Max(S.TrainFlops, heartbeat.TrainFlops);
        }
        return Task.FromResult(true);
    }

    public async Task MilestoneReachedAsync(Guid jobId, Guid dispatchId, long step)
    {
        var job = Find(jobId);
        if (job is null || job.DispatchId != dispatchId || S.State.IsTerminal()) return;
        var added = AddEvaluations(step);
        if (added.Count == 0) return;
        await state.WriteStateAsync();
        foreach (var eval in added)
        {
            await store.SaveJobAsync(Spec.ExperimentId, eval.ToStatus());
            await Scheduler.EnqueueAsync(Request(eval));
        }
    }

    public async Task JobFinishedAsync(JobOutcome outcome)
    {
        var job = Find(outcome.JobId);
        await Scheduler.ReleaseAsync(outcome.JobId, outcome.DispatchId);
        if (job is not null && job.DispatchId == outcome.DispatchId && job.State != JobState.Running && _unsaved)
        {
            // This outcome was applied before, but its save met a database outage: the runner's retry persists it.
            await SaveAsync(job);
            return;
        }
        if (job is null || job.DispatchId != outcome.DispatchId || job.State != JobState.Running) return;
        _heartbeats.Remove(job.JobId);
        job.Step = Math.Max(job.Step, outcome.Step);
        switch (outcome.State)
        {
            case JobState.Succeeded:
                job.State = JobState.Succeeded;
                job.FinishedAt = DateTimeOffset.UtcNow;
                if (job.Kind == JobKind.Pretrain)
                {
                    S.Step = outcome.Step;
                    S.TrainFlops = outcome.TrainFlops;
                    if (!S.State.IsTerminal())
                    {
                        S.State = ExperimentState.Evaluating;
                        var evaluations = AddEvaluations(outcome.Step);
                        foreach (var eval in evaluations) await store.SaveJobAsync(Spec.ExperimentId, eval.ToStatus());
                        foreach (var eval in evaluations) await Scheduler.EnqueueAsync(Request(eval));
                    }
                }
                if (!S.State.IsTerminal() && S.Jobs.All(j => j.State == JobState.Succeeded))
                {
                    S.State = ExperimentState.Completed;
                    S.Reason = null;
                    if (await this.GetReminder(HeartbeatReminder) is { } reminder) await this.UnregisterReminder(reminder);
                }
                break;
            case JobState.StoppedEarly:
                job.State = JobState.StoppedEarly;
                job.FinishedAt = DateTimeOffset.UtcNow;
                S.Step = outcome.Step;
                S.TrainFlops = outcome.TrainFlops;
                await EndAsync(ExperimentState.StoppedEarly, outcome.Error ?? "stopped early");
                break;
            case JobState.Cancelled when S.State.IsTerminal():
                job.State = JobState.Cancelled;
                job.FinishedAt = DateTimeOffset.UtcNow;
                break;
            case JobState.Cancelled:
                // Stopped without being asked to (its silo shut down): not the job's fault, so not an attempt.
                job.Attempts = Math.Max(0, job.Attempts - 1);
                await RequeueAsync(job, outcome.Error ?? "interrupted");
                break;
            case JobState.Failed when outcome.Permanent:
                // Caused by the job's input: another attempt would fail the same way.
                job.Error = outcome.Error;
                job.State = JobState.Failed;
                job.FinishedAt = DateTimeOffset.UtcNow;
                await EndAsync(ExperimentState.Failed, $"{KindName(job)} cannot run: {outcome.Error ?? "failed"}");
                break;
            default:
                await RetryOrFailAsync(job, outcome.Error ?? "failed");
                break;
        }
        await SaveAsync(job);
    }

    public async Task JobLostAsync(Guid jobId, Guid dispatchId, string reason)
    {
        var job = Find(jobId);
        if (job is null || S.State.IsTerminal()) return;
        if (job.State == JobState.Running && job.DispatchId == dispatchId)
        {
            await RetryOrFailAsync(job, reason);
            await SaveAsync(job);
        }
        else if (job.State == JobState.Queued)
        {
            // Dispatched but never started: the scheduler forgot it, so queue it again.
            await Scheduler.EnqueueAsync(Request(job));
        }
    }

    public Task CancelAsync(string reason) => S.Spec is null || S.State.IsTerminal() ? Task.CompletedTask : StopAsync(ExperimentState.Cancelled, reason);

    public Task StopEarlyAsync(string reason) => S.Spec is null || S.State.IsTerminal() ? Task.CompletedTask : StopAsync(ExperimentState.StoppedEarly, reason);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_unsaved && S.Spec is not null && S.Jobs.Count > 0) await SaveAsync(S.Jobs[^1]);
        if (S.Spec is null || S.State.IsTerminal())
        {
            if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        var now = DateTimeOffset.UtcNow;
        foreach (var job in S.Jobs.ToList())
        {
            if (job.State == JobState.Running)
            {
                var last = _heartbeats.TryGetValue(job.JobId, out var t) ? t : now;
                _heartbeats.TryAdd(job.JobId, now);
                if (now - last > _options.HeartbeatTimeout)
                {
                    logger.LogWarning("Job {JobId} sent no heartbeat for {Silence} (silo {Silo}); presuming it lost",
                        job.JobId, now - last, job.Silo);
                    // Free the lost dispatch's slot first, so the re-queue below is not taken for a duplicate.
                    if (job.DispatchId is { } dispatch) await Scheduler.ReleaseAsync(job.JobId, dispatch);
                    await RetryOrFailAsync(job, $"no heartbeat for {(now - last).TotalSeconds:0}s from silo {job.Silo}");
                    await SaveAsync(job);
                    if (S.State.IsTerminal()) return;
                }
            }
            else if (job.State == JobState.Queued)
            {
                await Scheduler.EnqueueAsync(Request(job));
            }
        }
    }

    private TimeSpan CheckPeriod => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, _options.HeartbeatTimeout.Ticks / 2));

    private async Task RetryOrFailAsync(JobRecord job, string error)
    {
        job.Error = error;
        if (job.Attempts >= Spec.MaxAttempts)
        {
            job.State = JobState.Failed;
            job.FinishedAt = DateTimeOffset.UtcNow;
            await EndAsync(ExperimentState.Failed, $"{KindName(job)} failed after {job.Attempts} attempt(s): {error}");
        }
        else
        {
            await RequeueAsync(job, error);
        }
    }

    private async Task RequeueAsync(JobRecord job, string reason)
    {
        logger.LogInformation("Re-queuing job {JobId} (attempt {Attempt} ended: {Reason})", job.JobId, job.Attempts, reason);
        job.State = JobState.Queued;
        job.DispatchId = null;
        job.Error = reason;
        _heartbeats.Remove(job.JobId);
        await Scheduler.EnqueueAsync(Request(job) with { EnqueuedAt = DateTimeOffset.UtcNow });
    }

    private async Task StopAsync(ExperimentState end, string reason)
    {
        await EndAsync(end, reason);
        await state.WriteStateAsync();
        await store.SetExperimentStatusAsync(Spec.ExperimentId, S.State, S.TrainFlops, S.Reason);
        foreach (var job in S.Jobs) await store.SaveJobAsync(Spec.ExperimentId, job.ToStatus());
        NotifySweep();
    }

    /// <summary>Ends the experiment: queued jobs leave the queue, running ones are told to stop at their next step.</summary>
    private async Task EndAsync(ExperimentState end, string reason)
    {
        S.State = end;
        S.Reason = reason;
        foreach (var other in S.Jobs.Where(j => j.State is JobState.Queued or JobState.Running))
        {
            if (other.State == JobState.Queued)
            {
                await Scheduler.ReleaseAsync(other.JobId, null);
            }
            else if (other is { Silo: { } silo, DispatchId: { } dispatch })
            {
                try
                {
                    await GrainFactory.GetGrain<Contracts.Scheduling.IWorkerGrain>(silo).CancelJobAsync(dispatch, reason);
                }
                catch (Exception e)
                {
                    // Its silo is gone: the scheduler frees the slot when the worker's lease runs out.
                    logger.LogInformation(e, "Could not reach silo {Silo} to stop job {JobId}", silo, other.JobId);
                }
            }
            other.State = end == ExperimentState.StoppedEarly ? JobState.StoppedEarly : JobState.Cancelled;
            other.FinishedAt ??= DateTimeOffset.UtcNow;
        }
        if (await this.GetReminder(HeartbeatReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private async Task SaveAsync(JobRecord job)
    {
        // After a failed save, other jobs' rows may be behind too; they are few, so then write them all.
        var catchUp = _unsaved;
        _unsaved = true;
        await state.WriteStateAsync();
        foreach (var other in catchUp ? S.Jobs : [job]) await store.SaveJobAsync(Spec.ExperimentId, other.ToStatus());
        await store.SetExperimentStatusAsync(Spec.ExperimentId, S.State, S.TrainFlops, S.Reason);
        _unsaved = false;
        NotifySweep();
    }

    private List<JobRecord> AddEvaluations(long step)
    {
        var added = new List<JobRecord>();
        if (Spec.Workload.Kind == WorkloadSpec.Noop) return added;
        foreach (var task in Spec.Evaluations.Tasks)
        {
            if (S.Jobs.Any(j => j.Kind == JobKind.FinetuneEval && j.Task == task && j.CheckpointStep == step)) continue;
            var job = NewJob(JobKind.FinetuneEval, task, step);
            S.Jobs.Add(job);
            added.Add(job);
        }
        return added;
    }

    private JobRecord NewJob(JobKind kind, string? task, long? step) => new()
    {
        JobId = JobIdFor(this.GetPrimaryKey(), kind, task, step),
        Kind = kind,
        Task = task,
        CheckpointStep = step,
        State = JobState.Queued,
        EnqueuedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Stable per (experiment, kind, task, step), so replaying a transition after a crash names the same job.</summary>
    private static Guid JobIdFor(Guid experimentId, JobKind kind, string? task, long? step) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{experimentId:N}/{kind}/{task}/{step}")).AsSpan(0, 16));

    private JobRequest Request(JobRecord job) =>
        new(job.JobId, Spec.ExperimentId, Spec.SweepId, Spec.Team, Spec.Priority, job.Kind, job.Task, job.EnqueuedAt);

    private JobRecord? Find(Guid jobId) => S.Jobs.FirstOrDefault(j => j.JobId == jobId);

    private static string KindName(JobRecord job) => job.Kind switch
    {
        JobKind.FinetuneEval => $"finetune-eval {job.Task}@{job.CheckpointStep}",
        JobKind.Noop => "noop",
        _ => "pretrain",
    };

    private ExperimentStatus Status()
    {
        var spec = S.Spec;
        return new ExperimentStatus(this.GetPrimaryKey(), spec?.SweepId ?? Guid.Empty, spec?.Name ?? "", spec?.Team ?? "", S.State,
            S.Reason, S.Step, S.TrainFlops, S.Jobs.Select(j => j.ToStatus()).ToArray());
    }

    private void NotifySweep()
    {
        if (S.Spec is { } spec) GrainFactory.GetGrain<ISweepGrain>(spec.SweepId).ExperimentChangedAsync(Status()).Ignore();
    }
}
