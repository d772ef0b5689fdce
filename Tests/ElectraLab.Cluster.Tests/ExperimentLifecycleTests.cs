using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Experiments;

namespace ElectraLab.Cluster.Tests;

/// <summary>The experiment state machine without a cluster: every report and request, including the repeated and the stale.</summary>
[Trait("Category", "Unit")]
public sealed class ExperimentLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly Guid _experiment = Guid.NewGuid();

    private ExperimentLifecycle Started(string[]? glue = null, int maxAttempts = 3, string workload = WorkloadSpec.Electra)
    {
        var lifecycle = new ExperimentLifecycle(new ExperimentGrainState(), _experiment);
        var spec = new ExperimentSpec(_experiment, Guid.NewGuid(), "team", "exp", 0, "{}", 1, 0,
            new EvaluationSpec(glue ?? ["sst2", "mrpc"], null, [], null), [1], null, new CheckpointSpec(100, 2), maxAttempts,
            new WorkloadSpec(workload, 0));
        Assert.NotNull(lifecycle.Start(spec, T0));
        return lifecycle;
    }

    private static Guid Run(ExperimentLifecycle lifecycle, JobRecord job, string silo = "silo-a")
    {
        var dispatch = Guid.NewGuid();
        var (accepted, transition) = lifecycle.JobStarted(new JobStarted(job.JobId, dispatch, silo, 0, "cpu", null), T0);
        Assert.True(accepted);
        Assert.Same(job, transition.Changed);
        return dispatch;
    }

    [Fact]
    public void Start_IsOnce_AndQueuesOnePretrainJob()
    {
        var lifecycle = Started();
        Assert.Equal(ExperimentState.Queued, lifecycle.State.State);
        var job = Assert.Single(lifecycle.State.Jobs);
        Assert.Equal(JobKind.Pretrain, job.Kind);
        Assert.Null(lifecycle.Start(lifecycle.Spec, T0));
        Assert.Single(lifecycle.State.Jobs);
    }

    [Fact]
    public void PretrainingSucceeds_QueuesOneEvaluationPerTask_ThenCompletesWhenAllSucceed()
    {
        var lifecycle = Started();
        var pretrain = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, pretrain);
        Assert.Equal(ExperimentState.Pretraining, lifecycle.State.State);

        var done = lifecycle.JobFinished(new JobOutcome(pretrain.JobId, dispatch, JobState.Succeeded, 200, 1e12, null), T0);
        Assert.Equal(ExperimentState.Evaluating, lifecycle.State.State);
        Assert.Equal(200, lifecycle.State.Step);
        var evals = lifecycle.State.Jobs.Where(j => j.Kind == JobKind.FinetuneEval).ToList();
        Assert.Equal(["sst2", "mrpc"], evals.Select(j => j.Task));
        Assert.All(evals, e => Assert.Equal(200, e.CheckpointStep));
        // Each new job's row is written before it is enqueued, and the pre-training slot is released first.
        Assert.IsType<LifecycleEffect.Release>(done.Effects[0]);
        Assert.Equal(2, done.Effects.OfType<LifecycleEffect.SaveJob>().Count());
        Assert.True(done.Effects.FindIndex(e => e is LifecycleEffect.SaveJob) < done.Effects.FindIndex(e => e is LifecycleEffect.Enqueue));

        foreach (var eval in evals)
        {
            var d = Run(lifecycle, eval);
            lifecycle.JobFinished(new JobOutcome(eval.JobId, d, JobState.Succeeded, 0, 0, null), T0);
        }
        Assert.Equal(ExperimentState.Completed, lifecycle.State.State);
    }

    [Fact]
    public void ARepeatedOrStaleReport_ChangesNothing()
    {
        var lifecycle = Started();
        var job = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, job);
        var again = lifecycle.JobStarted(new JobStarted(job.JobId, dispatch, "silo-a", 0, "cpu", null), T0);
        Assert.True(again.Accepted);
        Assert.Null(again.Transition.Changed);
        Assert.Same(job, again.Transition.Repeated);
        Assert.Equal(1, job.Attempts);

        // A superseded dispatch's heartbeat and outcome are ignored.
        Assert.False(lifecycle.Heartbeat(new JobHeartbeat(job.JobId, Guid.NewGuid(), 50, 1), T0));
        var stale = lifecycle.JobFinished(new JobOutcome(job.JobId, Guid.NewGuid(), JobState.Failed, 50, 1, "boom"), T0);
        Assert.Null(stale.Changed);
        Assert.Equal(JobState.Running, job.State);

        // The same outcome twice: applied once, then only "repeated".
        lifecycle.JobFinished(new JobOutcome(job.JobId, dispatch, JobState.Failed, 50, 1, "boom"), T0);
        Assert.Equal(JobState.Queued, job.State);
        var twice = lifecycle.JobFinished(new JobOutcome(job.JobId, dispatch, JobState.Failed, 50, 1, "boom"), T0);
        Assert.Null(twice.Changed);
    }

    [Fact]
    public void InfrastructureFailures_AreRetriedUpToMaxAttempts_ThenFailTheExperiment()
    {
        var lifecycle = Started(maxAttempts: 2);
        var job = lifecycle.State.Jobs[0];
        var first = Run(lifecycle, job);
        var retry = lifecycle.JobFinished(new JobOutcome(job.JobId, first, JobState.Failed, 10, 0, "worker died (SIGSEGV)"), T0);
        var enqueue = Assert.Single(retry.Effects.OfType<LifecycleEffect.Enqueue>());
        Assert.Equal("worker died (SIGSEGV)", enqueue.Requeued);
        Assert.Equal(JobState.Queued, job.State);

        var second = Run(lifecycle, job);
        lifecycle.JobFinished(new JobOutcome(job.JobId, second, JobState.Failed, 10, 0, "worker died (SIGKILL)"), T0);
        Assert.Equal(ExperimentState.Failed, lifecycle.State.State);
        Assert.Equal("pretrain failed after 2 attempt(s): worker died (SIGKILL)", lifecycle.State.Reason);
    }

    [Fact]
    public void APermanentFailure_FailsAtOnce_AndStopsEveryOtherJob()
    {
        var lifecycle = Started();
        var pretrain = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, pretrain);
        lifecycle.JobFinished(new JobOutcome(pretrain.JobId, dispatch, JobState.Succeeded, 100, 1, null), T0);
        var (sst2, mrpc) = (lifecycle.State.Jobs[1], lifecycle.State.Jobs[2]);
        var sst2Dispatch = Run(lifecycle, sst2, "silo-b");

        var failed = lifecycle.JobFinished(new JobOutcome(mrpc.JobId, Guid.Empty, JobState.Failed, 0, 0, "x"), T0);
        Assert.Null(failed.Changed); // mrpc never started: not its dispatch
        var d = Run(lifecycle, mrpc);
        var end = lifecycle.JobFinished(new JobOutcome(mrpc.JobId, d, JobState.Failed, 0, 0, "no GLUE data for MRPC", Permanent: true), T0);

        Assert.Equal(ExperimentState.Failed, lifecycle.State.State);
        Assert.Equal("finetune-eval mrpc@100 cannot run: no GLUE data for MRPC", lifecycle.State.Reason);
        var stop = Assert.Single(end.Effects.OfType<LifecycleEffect.StopJob>());
        Assert.Equal(("silo-b", sst2Dispatch), (stop.Silo, stop.DispatchId));
        Assert.Equal(JobState.Cancelled, sst2.State);
        Assert.Contains(end.Effects, e => e is LifecycleEffect.Ended);
        // Once ended, nothing moves it: no new start, no cancel, no heartbeat.
        Assert.False(lifecycle.JobStarted(new JobStarted(sst2.JobId, Guid.NewGuid(), "silo-c", 0, "cpu", null), T0).Accepted);
        Assert.Empty(lifecycle.Stop(ExperimentState.Cancelled, "late", T0).Effects);
        Assert.Equal(ExperimentState.Failed, lifecycle.State.State);
    }

    [Fact]
    public void AnUnaskedCancel_CostsNoAttempt()
    {
        var lifecycle = Started(maxAttempts: 1);
        var job = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, job);
        lifecycle.JobFinished(new JobOutcome(job.JobId, dispatch, JobState.Cancelled, 30, 0, "silo shutting down"), T0);
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(0, job.Attempts);
        Assert.False(lifecycle.IsTerminal);
    }

    [Fact]
    public void ASilentJob_IsPresumedLost_AfterTheTimeout_AndQueuedJobsAreEnqueuedAgain()
    {
        var lifecycle = Started(maxAttempts: 3);
        var job = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, job);
        var timeout = TimeSpan.FromMinutes(1);

        Assert.DoesNotContain(lifecycle.CheckHeartbeats(T0 + TimeSpan.FromSeconds(59), timeout).Effects, e => e is LifecycleEffect.Release);
        Assert.True(lifecycle.Heartbeat(new JobHeartbeat(job.JobId, dispatch, 40, 5), T0 + TimeSpan.FromSeconds(50)));
        Assert.Empty(lifecycle.CheckHeartbeats(T0 + TimeSpan.FromSeconds(100), timeout).Effects);

        var lost = lifecycle.CheckHeartbeats(T0 + TimeSpan.FromSeconds(111), timeout);
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(new LifecycleEffect.Release(job.JobId, dispatch), lost.Effects.OfType<LifecycleEffect.Release>().Single());
        Assert.Contains("no heartbeat for 61s", job.Error);
        Assert.True(lost.ChangedAll);

        // A queued job is enqueued again at every check (the scheduler may have lost its queue).
        Assert.Single(lifecycle.CheckHeartbeats(T0 + TimeSpan.FromSeconds(112), timeout).Effects.OfType<LifecycleEffect.Enqueue>());
        Assert.Equal(40, lifecycle.State.Step);
    }

    [Fact]
    public void PretrainingSpeed_ComesFromHeartbeats_AndAResumedAttemptStartsItsOwn()
    {
        var lifecycle = Started(maxAttempts: 3);
        var job = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, job);
        lifecycle.Heartbeat(new JobHeartbeat(job.JobId, dispatch, 20, 1e9), T0 + TimeSpan.FromSeconds(10));
        Assert.Equal(0, lifecycle.Status().StepsPerSecond);
        lifecycle.Heartbeat(new JobHeartbeat(job.JobId, dispatch, 40, 2e9), T0 + TimeSpan.FromSeconds(20));
        Assert.Equal(2.0, lifecycle.Status().StepsPerSecond, 6);
        lifecycle.Heartbeat(new JobHeartbeat(job.JobId, dispatch, 70, 3e9), T0 + TimeSpan.FromSeconds(30));
        Assert.Equal(0.7 * 2.0 + 0.3 * 3.0, lifecycle.Status().StepsPerSecond, 6);

        lifecycle.JobFinished(new JobOutcome(job.JobId, dispatch, JobState.Failed, 70, 3e9, "worker died"), T0 + TimeSpan.FromSeconds(31));
        var resumed = Run(lifecycle, job);
        lifecycle.Heartbeat(new JobHeartbeat(job.JobId, resumed, 80, 3.1e9), T0 + TimeSpan.FromSeconds(60));
        Assert.Equal(0, lifecycle.Status().StepsPerSecond);
    }

    [Fact]
    public void AFinetuningJobsDetail_IsShownWhileItRuns_AndNotCarriedIntoItsNextAttempt()
    {
        var lifecycle = Started(glue: ["sst2"]);
        var pretrain = lifecycle.State.Jobs[0];
        var d = Run(lifecycle, pretrain);
        lifecycle.JobFinished(new JobOutcome(pretrain.JobId, d, JobState.Succeeded, 100, 1, null), T0);
        var eval = lifecycle.State.Jobs[1];
        var first = Run(lifecycle, eval);
        Assert.True(lifecycle.Heartbeat(new JobHeartbeat(eval.JobId, first, 120, 0, "sst2 seed 2/5: train 120/800"), T0));
        Assert.Equal("sst2 seed 2/5: train 120/800", lifecycle.Status().Jobs.Single(j => j.JobId == eval.JobId).Detail);

        lifecycle.JobFinished(new JobOutcome(eval.JobId, first, JobState.Failed, 120, 0, "worker died"), T0);
        Assert.Null(lifecycle.Status().Jobs.Single(j => j.JobId == eval.JobId).Detail); // queued: nothing running
        Run(lifecycle, eval);
        Assert.Null(lifecycle.Status().Jobs.Single(j => j.JobId == eval.JobId).Detail);
    }

    [Fact]
    public void Milestones_AddEachEvaluationOnce()
    {
        var lifecycle = Started(glue: ["rte"]);
        var job = lifecycle.State.Jobs[0];
        var dispatch = Run(lifecycle, job);
        Assert.True(lifecycle.MilestoneReached(job.JobId, dispatch, 50, T0).ChangedAll);
        Assert.False(lifecycle.MilestoneReached(job.JobId, dispatch, 50, T0).ChangedAll);
        Assert.Empty(lifecycle.MilestoneReached(job.JobId, Guid.NewGuid(), 60, T0).Effects);
        Assert.Equal(2, lifecycle.State.Jobs.Count);
        Assert.Equal(ExperimentLifecycle.JobIdFor(_experiment, JobKind.FinetuneEval, "rte", 50), lifecycle.State.Jobs[1].JobId);
    }

    [Fact]
    public void StopEarly_EndsStoppedEarly_AndANoopWorkloadGetsNoEvaluations()
    {
        var lifecycle = Started(workload: WorkloadSpec.Noop);
        var job = lifecycle.State.Jobs[0];
        Assert.Equal(JobKind.Noop, job.Kind);
        var dispatch = Run(lifecycle, job);
        var stop = lifecycle.Stop(ExperimentState.StoppedEarly, "rung 1: below median", T0);
        Assert.Equal(ExperimentState.StoppedEarly, lifecycle.State.State);
        Assert.Equal(JobState.StoppedEarly, job.State);
        Assert.Equal(dispatch, stop.Effects.OfType<LifecycleEffect.StopJob>().Single().DispatchId);
    }
}
