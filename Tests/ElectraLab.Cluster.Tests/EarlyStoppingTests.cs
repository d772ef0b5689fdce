using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class EarlyStoppingTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task MedianRule_StopsTheRunsThatAreBehindAtTheRung()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        // One learning rate that learns and two that cannot move the loss in six steps.
        var (sweep, _) = await platform.SubmitAsync($$"""
            name: lr-race
            team: nlp
            base: {{TestData.MicroConfig(steps: 12).ToJsonString()}}
            search:
              grid:
                learning_rate: [3.0e-3, 1.0e-8, 2.0e-8]
            early_stopping: {rule: median, metric: mlm_loss, mode: min, rungs: [6], min_experiments: 1}
            checkpoints: {interval: 6, keep_last: 1}
            """);
        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromMinutes(2));
        foreach (var e in status.Experiments) output.WriteLine($"{e.Name}: {e.State} at step {e.Step}: {e.Reason}");

        var (winner, losers) = (status.Experiments[0], status.Experiments[1..]);
        Assert.Equal(ExperimentState.Completed, winner.State);
        Assert.Equal(12, winner.Step);
        Assert.All(losers, l =>
        {
            Assert.Equal(ExperimentState.StoppedEarly, l.State);
            Assert.Equal(6, l.Step);
            Assert.Contains("mlm_loss", l.Reason);
        });
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM metrics WHERE experiment_id = ANY($1) AND step > 6", losers.Select(l => l.ExperimentId).ToArray()));
    }

    [SkippableFact]
    public async Task Asha_KeepsTheTopThirdAtEachRung()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        var (sweep, _) = await platform.SubmitAsync("""
            name: asha-decisions
            team: nlp
            early_stopping: {rule: asha, metric: disc_loss, mode: min, rungs: [10], reduction_factor: 3, min_experiments: 2}
            workload: {kind: noop, noop_ms: 600000}
            """);
        // The sweep's own experiment holds the slot, so the sweep stays running while the rungs are reported.
        // Reports at one rung, in arrival order: the first two always continue (too few to compare).
        bool[] decisions = [];
        foreach (var value in new[] { 5.0, 4.0, 3.0, 6.0, 1.0, 2.5 })
        {
            decisions = [.. decisions, await sweep.ReportRungAsync(Guid.NewGuid(), 10, value)];
        }
        // 3.0: best of 3 → top 1 kept; 6.0: worst of 4; 1.0: best of 5; 2.5: 2nd of 6, top 2 kept.
        Assert.Equal([true, true, true, false, true, true], decisions);
        await sweep.CancelAsync("done");
    }
}
