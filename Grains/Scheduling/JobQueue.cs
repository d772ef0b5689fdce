// The scheduler's policy as plain code over its persisted state: which queued job goes next, which slot it gets,
// and the bookkeeping of fair share. SchedulerGrain owns the timers, the workers' reports and the calls out; this
// class decides, and is unit-tested without a cluster (JobQueueTests).
using ElectraLab.Contracts.Scheduling;

namespace ElectraLab.Grains.Scheduling;

/// <summary>
/// Policy: the highest priority first; within a priority, the team with the fewest running jobs, then the least
/// served (fair share by virtual time: a team that becomes active starts at the least served active team's count, so
/// it neither starves nor gets a burst for having been idle), then first in, first out.
/// </summary>
public sealed class JobQueue(SchedulerGrainState state)
{
    public SchedulerGrainState State => state;

    public bool IsEmpty => state.Queue.Count == 0;

    /// <summary>Adds a job unless it is queued or running already (enqueueing is idempotent). True when added.</summary>
    public bool Add(JobRequest job)
    {
        if (state.Running.ContainsKey(job.JobId) || state.Queue.Any(q => q.Job.JobId == job.JobId)) return false;
        if (!IsActive(job.Team))
        {
            var others = state.Served.Where(kv => IsActive(kv.Key)).Select(kv => kv.Value).DefaultIfEmpty(0).Min();
            state.Served[job.Team] = Math.Max(state.Served.GetValueOrDefault(job.Team), others);
        }
        state.Queue.Add(new QueuedJob(job, ++state.Sequence));
        return true;
    }

    /// <summary>
    /// Frees a job's slot (when <paramref name="dispatchId"/> is its current dispatch, or null) and, with a null dispatch,
    /// takes it out of the queue too. Returns the released dispatch, if one was running.
    /// </summary>
    public (JobAssignment? Released, bool Dequeued) Release(Guid jobId, Guid? dispatchId)
    {
        JobAssignment? released = null;
        if (state.Running.TryGetValue(jobId, out var running) && (dispatchId is null || running.DispatchId == dispatchId))
        {
            state.Running.Remove(jobId);
            released = running;
        }
        var dequeued = dispatchId is null && state.Queue.RemoveAll(q => q.Job.JobId == jobId) > 0;
        return (released, dequeued);
    }

    /// <summary>The job the policy runs next, or null when nothing is queued.</summary>
    public QueuedJob? PickNext()
    {
        if (state.Queue.Count == 0) return null;
        var top = state.Queue.Max(q => q.Job.Priority);
        return state.Queue.Where(q => q.Job.Priority == top)
            .OrderBy(q => state.Running.Values.Count(r => r.Job.Team == q.Job.Team))
            .ThenBy(q => state.Served.GetValueOrDefault(q.Job.Team))
            .ThenBy(q => q.Sequence)
            .First();
    }

    /// <summary>Moves a queued job onto a slot under a new dispatch id, charging its team one slot of service.</summary>
    public JobAssignment Assign(QueuedJob next, SlotInfo slot, DateTimeOffset now)
    {
        state.Queue.Remove(next);
        var assignment = new JobAssignment(next.Job, Guid.NewGuid(), slot.Silo, slot.Index, now);
        state.Running[next.Job.JobId] = assignment;
        state.Served[next.Job.Team] = state.Served.GetValueOrDefault(next.Job.Team) + 1;
        state.Dispatched++;
        return assignment;
    }

    /// <summary>Undoes <see cref="Assign"/> when the worker refused the job: back in the queue at its old place.</summary>
    public void Unassign(QueuedJob next)
    {
        state.Running.Remove(next.Job.JobId);
        state.Served[next.Job.Team] -= 1;
        state.Dispatched--;
        state.Queue.Add(next);
    }

    /// <summary>A running dispatch the table did not know (it lost its last writes): the queued job becomes running.</summary>
    public bool Adopt(Guid jobId, Guid dispatchId, string silo, int slot, DateTimeOffset now)
    {
        if (state.Running.ContainsKey(jobId) || state.Queue.FirstOrDefault(q => q.Job.JobId == jobId) is not { } queued) return false;
        state.Queue.Remove(queued);
        state.Running[jobId] = new JobAssignment(queued.Job, dispatchId, silo, slot, now);
        return true;
    }

    /// <summary>
    /// The first free slot in a stable order (silo name, then index): no dispatch holds it here, its worker has not
    /// refused a job on it since its last report, and that report shows it idle or finishing a released dispatch.
    /// </summary>
    public SlotInfo? FreeSlot(IEnumerable<(string Silo, IReadOnlyList<SlotInfo> Slots, IReadOnlySet<int> Blocked)> workers,
        IReadOnlySet<Guid> released)
    {
        foreach (var (_, slots, blocked) in workers.OrderBy(w => w.Silo, StringComparer.Ordinal))
        {
            foreach (var slot in slots)
            {
                if (blocked.Contains(slot.Index)) continue;
                if (state.Running.Values.Any(r => r.Silo == slot.Silo && r.Slot == slot.Index)) continue;
                if (slot.RunningDispatch is { } d && !released.Contains(d)) continue;
                return slot;
            }
        }
        return null;
    }

    /// <summary>The queue in the order a person reads it: priority, then arrival.</summary>
    public IEnumerable<QueuedJob> Ordered() => state.Queue.OrderByDescending(q => q.Job.Priority).ThenBy(q => q.Sequence);

    private bool IsActive(string team) =>
        state.Queue.Any(q => q.Job.Team == team) || state.Running.Values.Any(r => r.Job.Team == team);
}
