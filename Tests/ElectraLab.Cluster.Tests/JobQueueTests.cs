using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Grains.Scheduling;

namespace ElectraLab.Cluster.Tests;

/// <summary>The scheduling policy without a cluster: priority, fair share between teams, FIFO, placement.</summary>
[Trait("Category", "Unit")]
public sealed class JobQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static JobRequest Job(string team, int priority = 0) =>
        new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), team, priority, JobKind.Pretrain, null, T0);

    private static SlotInfo Slot(string silo, int index) => new(silo, index, "cpu", 1, null, null);

    private static List<string> Drain(JobQueue queue, int slots)
    {
        var order = new List<string>();
        for (var i = 0; i < slots && queue.PickNext() is { } next; i++)
        {
            queue.Assign(next, Slot("silo", i), T0);
            order.Add(next.Job.Team);
        }
        return order;
    }

    [Fact]
    public void HigherPriorityFirst_ThenFifo_AndEnqueueIsIdempotent()
    {
        var queue = new JobQueue(new SchedulerGrainState());
        var low = Job("a");
        var high = Job("a", priority: 5);
        Assert.True(queue.Add(low));
        Assert.True(queue.Add(high));
        Assert.False(queue.Add(low));
        Assert.Equal(high.JobId, queue.PickNext()!.Job.JobId);
        queue.Assign(queue.PickNext()!, Slot("s", 0), T0);
        Assert.False(queue.Add(high)); // running: not queued twice
        Assert.Equal(low.JobId, queue.PickNext()!.Job.JobId);
    }

    [Fact]
    public void TwoTeams_ShareSlotsInTurn_NotInArrivalOrder()
    {
        var queue = new JobQueue(new SchedulerGrainState());
        for (var i = 0; i < 6; i++) queue.Add(Job("big"));
        for (var i = 0; i < 2; i++) queue.Add(Job("small"));
        Assert.Equal(["big", "small", "big", "small", "big", "big"], Drain(queue, 6));
    }

    [Fact]
    public void ATeamThatWasIdle_StartsAtTheLeastServedCount_SoItGetsNoBurst()
    {
        var state = new SchedulerGrainState();
        var queue = new JobQueue(state);
        for (var i = 0; i < 4; i++) queue.Add(Job("early"));
        Drain(queue, 4);
        foreach (var id in state.Running.Keys.ToList()) queue.Release(id, null);
        Assert.Equal(4, state.Served["early"]);

        // "late" arrives while "early" is active again: it starts level with early, not at zero.
        for (var i = 0; i < 3; i++) queue.Add(Job("early"));
        for (var i = 0; i < 3; i++) queue.Add(Job("late"));
        Assert.Equal(4, state.Served["late"]);
        Assert.Equal(["early", "late", "early", "late", "early", "late"], Drain(queue, 6));
    }

    [Fact]
    public void ARefusedAssignment_ReturnsTheJobWithoutCharge_AndReleaseByDispatchIsExact()
    {
        var state = new SchedulerGrainState();
        var queue = new JobQueue(state);
        var job = Job("a");
        queue.Add(job);
        var next = queue.PickNext()!;
        var assignment = queue.Assign(next, Slot("s", 0), T0);
        Assert.Equal(1, state.Dispatched);
        queue.Unassign(next);
        Assert.Equal((0L, 0.0), (state.Dispatched, state.Served["a"]));
        Assert.Equal(job.JobId, queue.PickNext()!.Job.JobId);

        assignment = queue.Assign(queue.PickNext()!, Slot("s", 0), T0);
        Assert.Null(queue.Release(job.JobId, Guid.NewGuid()).Released); // another dispatch's release frees nothing
        Assert.Equal(assignment, queue.Release(job.JobId, assignment.DispatchId).Released);
        Assert.Empty(state.Running);
    }

    [Fact]
    public void FreeSlot_SkipsBusyBlockedAndUnreleasedSlots_InSiloOrder()
    {
        var state = new SchedulerGrainState();
        var queue = new JobQueue(state);
        var finishing = Guid.NewGuid();
        var foreign = Guid.NewGuid();
        queue.Add(Job("a"));
        queue.Assign(queue.PickNext()!, Slot("silo-a", 0), T0);
        var workers = new List<(string, IReadOnlyList<SlotInfo>, IReadOnlySet<int>)>
        {
            ("silo-b", [Slot("silo-b", 0) with { RunningDispatch = finishing }, Slot("silo-b", 1)], new HashSet<int> { 1 }),
            ("silo-a", [Slot("silo-a", 0), Slot("silo-a", 1) with { RunningDispatch = foreign }], new HashSet<int>()),
        };
        Assert.Null(queue.FreeSlot(workers, new HashSet<Guid>()));
        Assert.Equal(("silo-b", 0), queue.FreeSlot(workers, new HashSet<Guid> { finishing }) is { } s ? (s.Silo, s.Index) : default);
    }

    [Fact]
    public void Adopt_TakesOnlyAQueuedJobIntoRunning()
    {
        var state = new SchedulerGrainState();
        var queue = new JobQueue(state);
        var job = Job("a");
        Assert.False(queue.Adopt(job.JobId, Guid.NewGuid(), "s", 0, T0));
        queue.Add(job);
        var dispatch = Guid.NewGuid();
        Assert.True(queue.Adopt(job.JobId, dispatch, "s", 0, T0));
        Assert.True(queue.IsEmpty);
        Assert.Equal(dispatch, state.Running[job.JobId].DispatchId);
    }
}
