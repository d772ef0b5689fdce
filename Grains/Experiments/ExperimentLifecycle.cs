// The experiment's state machine as plain code: every report about a job (started, heartbeat, finished, lost) and
// every request (cancel, stop early, a heartbeat check) becomes a change of ExperimentGrainState plus a list of
// effects for the grain to carry out (enqueue, release, stop a running job, write a new job's row). Nothing here
// awaits or calls out, so the transitions are unit-tested without a cluster (ExperimentLifecycleTests).
using System.Security.Cryptography;
using System.Text;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;

namespace ElectraLab.Grains.Experiments;

/// <summary>What the grain does after a transition, in order.</summary>
public abstract record LifecycleEffect
{
    /// <summary>Write a job's row before it is enqueued (new evaluation jobs).</summary>
    public sealed record SaveJob(JobRecord Job) : LifecycleEffect;

    /// <summary>Put a job in the scheduler's queue; <paramref name="Requeued"/> says why when it ran before.</summary>
    public sealed record Enqueue(JobRecord Job, DateTimeOffset? EnqueuedAt = null, string? Requeued = null) : LifecycleEffect;

    /// <summary>Free a job's slot (a null dispatch also takes it out of the queue).</summary>
    public sealed record Release(Guid JobId, Guid? DispatchId) : LifecycleEffect;

    /// <summary>Tell a running job's silo to stop it at its next step.</summary>
    public sealed record StopJob(string Silo, Guid DispatchId, Guid JobId, string Reason) : LifecycleEffect;

    /// <summary>The experiment ended: its heartbeat reminder is no longer needed.</summary>
    public sealed record Ended : LifecycleEffect;

    /// <summary>Something an operator should read in the silo's log.</summary>
    public sealed record Warn(string Message) : LifecycleEffect;
}

/// <summary>The outcome of one transition.</summary>
public sealed class Transition
{
    public static Transition None => new();

    public List<LifecycleEffect> Effects { get; } = [];

    /// <summary>The job whose new state must be persisted, with the experiment's; null when nothing changed.</summary>
    public JobRecord? Changed { get; set; }

    /// <summary>Every job's row must be persisted (several changed at once).</summary>
    public bool ChangedAll { get; set; }

    /// <summary>The same report arrived again (a runner retrying through an outage): persist what is unsaved, if anything.</summary>
    public JobRecord? Repeated { get; set; }
}

public sealed class ExperimentLifecycle(ExperimentGrainState state, Guid experimentId)
{
    // Heartbeats live in memory; after a (re)activation every running job gets one full timeout of grace.
    private readonly Dictionary<Guid, DateTimeOffset> _heartbeats = [];
    // Pre-training speed, from successive heartbeats of the running dispatch (exponentially smoothed).
    private (Guid Dispatch, long Step, DateTimeOffset At)? _lastProgress;
    private double _stepsPerSecond;

    public ExperimentGrainState State => state;

    public ExperimentSpec Spec => state.Spec ?? throw new InvalidOperationException($"Experiment {experimentId} was never started.");

    public bool IsTerminal => state.State.IsTerminal();

    public void Activated(DateTimeOffset now)
    {
        foreach (var job in state.Jobs.Where(j => j.State == JobState.Running)) _heartbeats[job.JobId] = now;
    }

    /// <summary>The experiment's first job (pre-training, or a noop workload), or null when it was started before.</summary>
    public JobRecord? Start(ExperimentSpec spec, DateTimeOffset now)
    {
        if (state.Spec is not null) return null;
        state.Spec = spec;
        state.State = ExperimentState.Queued;
        var job = NewJob(spec.Workload.Kind == WorkloadSpec.Noop ? JobKind.Noop : JobKind.Pretrain, null, null, now);
        state.Jobs.Add(job);
        return job;
    }

    public JobRecord? Find(Guid jobId) => state.Jobs.FirstOrDefault(j => j.JobId == jobId);

    /// <summary>A dispatch began. False tells the runner to stop: the job is unknown, finished or superseded.</summary>
    public (bool Accepted, Transition Transition) JobStarted(JobStarted started, DateTimeOffset now)
    {
        var job = Find(started.JobId);
        if (job is null || IsTerminal || job.State is not (JobState.Queued or JobState.Running)) return (false, Transition.None);
        if (job.DispatchId == started.DispatchId) return (true, new Transition { Repeated = job });
        // A new dispatch of a job that still looks running elsewhere: the scheduler lost that silo first. The new one wins.
        job.State = JobState.Running;
        job.DispatchId = started.DispatchId;
        job.Attempts++;
        job.Silo = started.Silo;
        job.Device = started.Device;
        job.StartedAt = now;
        job.ResumedFromStep = started.ResumedFromStep;
        job.Detail = null;
        _heartbeats[job.JobId] = now;
        if (job.Kind is JobKind.Pretrain or JobKind.Noop && state.State == ExperimentState.Queued) state.State = ExperimentState.Pretraining;
        if (job.Kind == JobKind.FinetuneEval && state.State == ExperimentState.Queued) state.State = ExperimentState.Evaluating;
        return (true, new Transition { Changed = job });
    }

    /// <summary>Progress of the current dispatch; false tells the runner to stop.</summary>
    public bool Heartbeat(JobHeartbeat heartbeat, DateTimeOffset now)
    {
        var job = Find(heartbeat.JobId);
        if (job is null || job.DispatchId != heartbeat.DispatchId || job.State != JobState.Running || IsTerminal) return false;
        _heartbeats[job.JobId] = now;
        job.Step = heartbeat.Step;
        job.Detail = heartbeat.Detail;
        if (job.Kind == JobKind.Pretrain)
        {
            if (_lastProgress is { } last && last.Dispatch == heartbeat.DispatchId && now > last.At && heartbeat.Step >= last.Step)
            {
                var rate = (heartbeat.Step - last.Step) / (now - last.At).TotalSeconds;
                _stepsPerSecond = _stepsPerSecond == 0 ? rate : 0.7 * _stepsPerSecond + 0.3 * rate;
            }
            else if (_lastProgress is null || _lastProgress.Value.Dispatch != heartbeat.DispatchId)
            {
                _stepsPerSecond = 0; // a new attempt: its own speed, not the last one's
            }
            _lastProgress = (heartbeat.DispatchId, heartbeat.Step, now);
            state.Step = Math.Max(state.Step, heartbeat.Step);
            state.TrainFlops = Math.Max(state.TrainFlops, heartbeat.TrainFlops);
        }
        return true;
    }

    /// <summary>A FLOP milestone's checkpoint exists: its evaluation jobs, once each.</summary>
    public Transition MilestoneReached(Guid jobId, Guid dispatchId, long step, DateTimeOffset now)
    {
        var job = Find(jobId);
        if (job is null || job.DispatchId != dispatchId || IsTerminal) return Transition.None;
        var added = AddEvaluations(step, now);
        var transition = new Transition { ChangedAll = added.Count > 0 };
        foreach (var eval in added) transition.Effects.Add(new LifecycleEffect.SaveJob(eval));
        foreach (var eval in added) transition.Effects.Add(new LifecycleEffect.Enqueue(eval));
        return transition;
    }

    public Transition JobFinished(JobOutcome outcome, DateTimeOffset now)
    {
        var transition = new Transition();
        // The slot is free whatever became of the job.
        transition.Effects.Add(new LifecycleEffect.Release(outcome.JobId, outcome.DispatchId));
        var job = Find(outcome.JobId);
        if (job is null || job.DispatchId != outcome.DispatchId) return transition;
        if (job.State != JobState.Running)
        {
            // This outcome was applied before; its save may have met a database outage.
            transition.Repeated = job;
            return transition;
        }
        _heartbeats.Remove(job.JobId);
        job.Step = Math.Max(job.Step, outcome.Step);
        transition.Changed = job;
        switch (outcome.State)
        {
            case JobState.Succeeded:
                job.State = JobState.Succeeded;
                job.FinishedAt = now;
                if (job.Kind == JobKind.Pretrain)
                {
                    state.Step = outcome.Step;
                    state.TrainFlops = outcome.TrainFlops;
                    if (!IsTerminal)
                    {
                        state.State = ExperimentState.Evaluating;
                        var evaluations = AddEvaluations(outcome.Step, now);
                        foreach (var eval in evaluations) transition.Effects.Add(new LifecycleEffect.SaveJob(eval));
                        foreach (var eval in evaluations) transition.Effects.Add(new LifecycleEffect.Enqueue(eval));
                    }
                }
                if (!IsTerminal && state.Jobs.All(j => j.State == JobState.Succeeded))
                {
                    state.State = ExperimentState.Completed;
                    state.Reason = null;
                    transition.Effects.Add(new LifecycleEffect.Ended());
                }
                break;
            case JobState.StoppedEarly:
                job.State = JobState.StoppedEarly;
                job.FinishedAt = now;
                state.Step = outcome.Step;
                state.TrainFlops = outcome.TrainFlops;
                End(ExperimentState.StoppedEarly, outcome.Error ?? "stopped early", now, transition);
                break;
            case JobState.Cancelled when IsTerminal:
                job.State = JobState.Cancelled;
                job.FinishedAt = now;
                break;
            case JobState.Cancelled:
                // Stopped without being asked to (its silo shut down): not the job's fault, so not an attempt.
                job.Attempts = Math.Max(0, job.Attempts - 1);
                Requeue(job, outcome.Error ?? "interrupted", now, transition);
                break;
            case JobState.Failed when outcome.Permanent:
                // Caused by the job's input: another attempt would fail the same way.
                job.Error = outcome.Error;
                job.State = JobState.Failed;
                job.FinishedAt = now;
                End(ExperimentState.Failed, $"{KindName(job)} cannot run: {outcome.Error ?? "failed"}", now, transition);
                break;
            default:
                RetryOrFail(job, outcome.Error ?? "failed", now, transition);
                break;
        }
        return transition;
    }

    /// <summary>The scheduler lost a dispatch (its silo stopped reporting, or never ran it).</summary>
    public Transition JobLost(Guid jobId, Guid dispatchId, string reason, DateTimeOffset now)
    {
        var job = Find(jobId);
        var transition = new Transition();
        if (job is null || IsTerminal) return transition;
        if (job.State == JobState.Running && job.DispatchId == dispatchId)
        {
            RetryOrFail(job, reason, now, transition);
            transition.Changed = job;
        }
        else if (job.State == JobState.Queued)
        {
            // Dispatched but never started: the scheduler forgot it, so queue it again.
            transition.Effects.Add(new LifecycleEffect.Enqueue(job));
        }
        return transition;
    }

    /// <summary>Cancel or stop early on request; nothing once the experiment has ended (or never started).</summary>
    public Transition Stop(ExperimentState end, string reason, DateTimeOffset now)
    {
        var transition = new Transition();
        if (state.Spec is null || IsTerminal) return transition;
        End(end, reason, now, transition);
        transition.ChangedAll = true;
        return transition;
    }

    /// <summary>
    /// The reminder's check: a running job silent for <paramref name="timeout"/> is presumed lost with its silo (its slot
    /// freed, then retried or failed); queued jobs are enqueued again, so a scheduler that lost its queue is reconciled.
    /// </summary>
    public Transition CheckHeartbeats(DateTimeOffset now, TimeSpan timeout)
    {
        var transition = new Transition();
        if (state.Spec is null || IsTerminal) return transition;
        foreach (var job in state.Jobs.ToList())
        {
            if (job.State == JobState.Running)
            {
                var last = _heartbeats.TryGetValue(job.JobId, out var t) ? t : now;
                _heartbeats.TryAdd(job.JobId, now);
                if (now - last <= timeout) continue;
                transition.Effects.Add(new LifecycleEffect.Warn(
                    $"Job {job.JobId} sent no heartbeat for {now - last} (silo {job.Silo}); presuming it lost"));
                // Free the lost dispatch's slot first, so the re-queue below is not taken for a duplicate.
                if (job.DispatchId is { } dispatch) transition.Effects.Add(new LifecycleEffect.Release(job.JobId, dispatch));
                RetryOrFail(job, $"no heartbeat for {(now - last).TotalSeconds:0}s from silo {job.Silo}", now, transition);
                transition.ChangedAll = true;
                if (IsTerminal) return transition;
            }
            else if (job.State == JobState.Queued)
            {
                transition.Effects.Add(new LifecycleEffect.Enqueue(job));
            }
        }
        return transition;
    }

    public ExperimentStatus Status() => new(experimentId, state.Spec?.SweepId ?? Guid.Empty, state.Spec?.Name ?? "",
        state.Spec?.Team ?? "", state.State, state.Reason, state.Step, state.TrainFlops, state.Jobs.Select(j => j.ToStatus()).ToArray(),
        state.State == ExperimentState.Pretraining ? _stepsPerSecond : 0);

    /// <summary>Stable per (experiment, kind, task, step), so replaying a transition after a crash names the same job.</summary>
    public static Guid JobIdFor(Guid experimentId, JobKind kind, string? task, long? step) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{experimentId:N}/{kind}/{task}/{step}")).AsSpan(0, 16));

    public static string KindName(JobRecord job) => job.Kind switch
    {
        JobKind.FinetuneEval => $"finetune-eval {job.Task}@{job.CheckpointStep}",
        JobKind.Noop => "noop",
        _ => "pretrain",
    };

    private void RetryOrFail(JobRecord job, string error, DateTimeOffset now, Transition transition)
    {
        job.Error = error;
        if (job.Attempts >= Spec.MaxAttempts)
        {
            job.State = JobState.Failed;
            job.FinishedAt = now;
            End(ExperimentState.Failed, $"{KindName(job)} failed after {job.Attempts} attempt(s): {error}", now, transition);
        }
        else
        {
            Requeue(job, error, now, transition);
        }
    }

    private void Requeue(JobRecord job, string reason, DateTimeOffset now, Transition transition)
    {
        job.State = JobState.Queued;
        job.DispatchId = null;
        job.Error = reason;
        _heartbeats.Remove(job.JobId);
        transition.Effects.Add(new LifecycleEffect.Enqueue(job, now, reason));
    }

    /// <summary>Ends the experiment: queued jobs leave the queue, running ones are told to stop at their next step.</summary>
    private void End(ExperimentState end, string reason, DateTimeOffset now, Transition transition)
    {
        state.State = end;
        state.Reason = reason;
        foreach (var other in state.Jobs.Where(j => j.State is JobState.Queued or JobState.Running))
        {
            if (other.State == JobState.Queued)
                transition.Effects.Add(new LifecycleEffect.Release(other.JobId, null));
            else if (other is { Silo: { } silo, DispatchId: { } dispatch })
                transition.Effects.Add(new LifecycleEffect.StopJob(silo, dispatch, other.JobId, reason));
            other.State = end == ExperimentState.StoppedEarly ? JobState.StoppedEarly : JobState.Cancelled;
            other.FinishedAt ??= now;
        }
        transition.Effects.Add(new LifecycleEffect.Ended());
    }

    private List<JobRecord> AddEvaluations(long step, DateTimeOffset now)
    {
        var added = new List<JobRecord>();
        if (Spec.Workload.Kind == WorkloadSpec.Noop) return added;
        foreach (var task in Spec.Evaluations.Tasks)
        {
            if (state.Jobs.Any(j => j.Kind == JobKind.FinetuneEval && j.Task == task && j.CheckpointStep == step)) continue;
            var job = NewJob(JobKind.FinetuneEval, task, step, now);
            state.Jobs.Add(job);
            added.Add(job);
        }
        return added;
    }

    private JobRecord NewJob(JobKind kind, string? task, long? step, DateTimeOffset now) => new()
    {
        JobId = JobIdFor(experimentId, kind, task, step),
        Kind = kind,
        Task = task,
        CheckpointStep = step,
        State = JobState.Queued,
        EnqueuedAt = now,
    };
}
