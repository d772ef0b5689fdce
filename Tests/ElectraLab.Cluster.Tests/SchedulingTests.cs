using System.Diagnostics;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>One silo with one slot: the scheduler's order (fair share, priority) and prompt cancellation.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class SchedulingTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private static string NoopSweep(string team, int jobs, int milliseconds, int priority = 0) => $$"""
        name: {{team}}-noop
        team: {{team}}
        priority: {{priority}}
        search:
          grid:
            learning_rate: [{{string.Join(", ", Enumerable.Range(1, jobs).Select(i => $"{i}e-4"))}}]
        workload: {kind: noop, noop_ms: {{milliseconds}}}
        """;

    [SkippableFact]
    public async Task FairShare_TwoTeamsOnOneSlot_Interleave()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        var (first, _) = await platform.SubmitAsync(NoopSweep("vision", 4, 400));
        var (second, _) = await platform.SubmitAsync(NoopSweep("speech", 4, 400));
        var a = await platform.WaitForSweepAsync(first, TimeSpan.FromSeconds(60));
        var b = await platform.WaitForSweepAsync(second, TimeSpan.FromSeconds(60));

        var order = a.Experiments.Concat(b.Experiments)
            .Select(e => (e.Team, Started: e.Jobs.Single().StartedAt!.Value))
            .OrderBy(x => x.Started).Select(x => x.Team).ToList();
        output.WriteLine(string.Join(" ", order));
        Assert.All(a.Experiments.Concat(b.Experiments), e => Assert.Equal(ExperimentState.Completed, e.State));
        // The second team does not wait for the first team's whole sweep, and no team holds the slot three times running.
        Assert.True(order.IndexOf("speech") < order.LastIndexOf("vision"), string.Join(" ", order));
        for (var i = 2; i < order.Count; i++)
        {
            Assert.False(order[i] == order[i - 1] && order[i] == order[i - 2] && order.Skip(i).Any(t => t != order[i]),
                $"three in a row while the other team waited: {string.Join(" ", order)}");
        }
    }

    [SkippableFact]
    public async Task Priority_HigherPriorityJobsOvertakeQueuedLowerPriorityJobs()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        var (low, lowSubmission) = await platform.SubmitAsync(NoopSweep("batch", 3, 1500, priority: 0));
        await platform.WaitForExperimentAsync(lowSubmission.ExperimentIds[0], e => e.State == ExperimentState.Pretraining,
            TimeSpan.FromSeconds(30), "the first low-priority job to run");
        var (high, _) = await platform.SubmitAsync(NoopSweep("urgent", 2, 50, priority: 10));
        var lowStatus = await platform.WaitForSweepAsync(low, TimeSpan.FromSeconds(60));
        var highStatus = await platform.WaitForSweepAsync(high, TimeSpan.FromSeconds(60));

        var lowStarts = lowStatus.Experiments.Select(e => e.Jobs.Single().StartedAt!.Value).Order().ToList();
        var highStarts = highStatus.Experiments.Select(e => e.Jobs.Single().StartedAt!.Value).Order().ToList();
        // The low-priority jobs queued before the urgent sweep arrived still ran after it.
        Assert.True(highStarts[^1] < lowStarts[1], $"high {string.Join(", ", highStarts)}; low {string.Join(", ", lowStarts)}");
    }

    [SkippableFact]
    public async Task Cancel_RunningPretrainingJob_StopsWithinSeconds()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        var (sweep, submission) = await platform.SubmitAsync($$"""
            name: long-run
            team: nlp
            base: {{TestData.MicroConfig(steps: 100_000, logEvery: 10).ToJsonString()}}
            checkpoints: {interval: 50000, keep_last: 1}
            """);
        var id = submission.ExperimentIds.Single();
        await Wait.UntilAsync(() => database.ScalarAsync<long>("SELECT count(*) FROM metrics WHERE experiment_id = $1", id),
            n => n > 0, TimeSpan.FromSeconds(60), "the job to train and log");

        var clock = Stopwatch.StartNew();
        await sweep.CancelAsync("no longer needed");
        var scheduler = platform.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey);
        // Stopped means the runner itself ended the job and gave its slot back, not just a state flag.
        await Wait.UntilAsync(scheduler.GetSnapshotAsync, s => s.Running.Length == 0 && s.Slots.All(x => x.RunningJob is null),
            TimeSpan.FromSeconds(10), "the slot to be free");
        var stopped = clock.Elapsed;
        output.WriteLine($"cancelled a running job in {stopped.TotalMilliseconds:0} ms");
        Assert.True(stopped < TimeSpan.FromSeconds(5), $"took {stopped}");

        var status = await platform.Client.GetGrain<IExperimentGrain>(id).GetStatusAsync();
        Assert.Equal(ExperimentState.Cancelled, status.State);
        Assert.Equal("no longer needed", status.Reason);
        Assert.Equal(JobState.Cancelled, status.Jobs.Single().State);
        Assert.True(status.Step < 100_000);
        Assert.Equal(SweepStatus.Cancelled, (await sweep.GetStatusAsync()).State);
        Assert.Equal("cancelled", await database.ScalarAsync<string>("SELECT status FROM experiments WHERE id = $1", id));
    }
}
