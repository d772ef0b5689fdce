using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>The whole cluster stops mid-sweep; a new cluster on the same database finishes it from PostgreSQL alone.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class RecoveryTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task Restart_OfEverySilo_ReconcilesFromPostgresAndFinishesTheSweep()
    {
        database.SkipIfUnavailable();
        var serviceId = $"recovery-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["ElectraLab:Jobs:HeartbeatTimeout"] = "00:00:04" };
        Guid sweepId;
        await using (var before = await PlatformCluster.StartAsync(database, cpuSlots: 1, settings: settings, serviceId: serviceId))
        {
            var (sweep, submission) = await before.SubmitAsync("""
                name: survives-restart
                team: ops
                search: {grid: {learning_rate: [1.0e-4, 2.0e-4, 3.0e-4, 4.0e-4, 5.0e-4, 6.0e-4]}}
                workload: {kind: noop, noop_ms: 300}
                """);
            sweepId = submission.SweepId;
            await Wait.UntilAsync(sweep.GetStatusAsync, s => s.Experiments.Count(e => e.State == ExperimentState.Completed) >= 2,
                TimeSpan.FromSeconds(30), "two experiments to finish before the restart");
        }

        // Nothing calls the new cluster: the experiments' reminders (in PostgreSQL) wake them, they re-queue their
        // jobs, and the scheduler's persisted queue dispatches them to the new silo's slot.
        await using var after = await PlatformCluster.StartAsync(database, cpuSlots: 1, settings: settings, serviceId: serviceId);
        var done = await Wait.UntilAsync(() => database.ScalarAsync<long>(
            "SELECT count(*) FROM experiments WHERE sweep_id = $1 AND status = 'completed'", sweepId),
            n => n == 6, TimeSpan.FromSeconds(60), "the restarted cluster to finish the sweep");
        var status = await after.Client.GetGrain<ISweepGrain>(sweepId).GetStatusAsync();
        foreach (var e in status.Experiments) output.WriteLine($"{e.Name}: {e.State}, attempts {e.Jobs.Single().Attempts}");
        Assert.Equal(6L, done);
        Assert.Equal(SweepStatus.Completed, status.State);
    }

    [SkippableFact]
    public async Task Failure_CausedByItsInput_FailsTheExperimentAtOnce_WithAOneLineReasonApartFromNotes()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        // A dataset folder that passes the submission check (it has a dataset.json) but cannot be read.
        var broken = TestData.TempDirectory("broken-dataset");
        await File.WriteAllTextAsync(Path.Combine(broken, "dataset.json"), "{ not json");
        var config = TestData.MicroConfig(steps: 4);
        config["data_dir"] = broken;
        var (sweep, _) = await platform.SubmitAsync($"""
            name: broken-data
            team: ops
            max_attempts: 3
            base: {config.ToJsonString()}
            """);
        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromSeconds(60));
        var experiment = status.Experiments.Single();
        var job = experiment.Jobs.Single();
        output.WriteLine(experiment.Reason);
        Assert.Equal(ExperimentState.Failed, experiment.State);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Contains("cannot run", experiment.Reason);
        Assert.Contains("dataset.json", job.Error);
        Assert.DoesNotContain('\n', experiment.Reason!);
        Assert.Equal(SweepStatus.Failed, status.State);
        Assert.Equal("failed", await database.ScalarAsync<string>("SELECT status FROM sweeps WHERE id = $1", status.SweepId));
        Assert.Contains("dataset.json", await database.ScalarAsync<string>("SELECT failure_reason FROM experiments WHERE id = $1", experiment.ExperimentId));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM experiments WHERE id = $1 AND notes IS NOT NULL", experiment.ExperimentId));
    }

    [SkippableFact]
    public async Task Failure_OfTheWorkerEveryAttempt_IsRetried_UpToTheLimit()
    {
        database.SkipIfUnavailable();
        // A worker that dies at once, every time (as a machine without libtorch's libraries would): infrastructure, so retried.
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1,
            settings: new() { ["ElectraLab:Jobs:WorkerCommand"] = "/bin/false" });
        var (sweep, _) = await platform.SubmitAsync($"""
            name: dying-worker
            team: ops
            max_attempts: 2
            base: {TestData.MicroConfig(steps: 4).ToJsonString()}
            """);
        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromSeconds(60));
        var experiment = status.Experiments.Single();
        var job = experiment.Jobs.Single();
        output.WriteLine(experiment.Reason);
        Assert.Equal(ExperimentState.Failed, experiment.State);
        Assert.Equal(2, job.Attempts);
        Assert.Contains("after 2 attempt(s)", experiment.Reason);
        Assert.Contains("worker process died (exit code 1)", job.Error);
        Assert.Contains("worker process died", await database.ScalarAsync<string>("SELECT error FROM jobs WHERE id = $1", job.JobId));
    }

    [SkippableFact]
    public async Task MissingDataset_IsRefusedAtSubmission_AndCreatesNothing()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        var config = TestData.MicroConfig(steps: 4);
        config["data_dir"] = Path.Combine(Path.GetTempPath(), $"no-such-dataset-{Guid.NewGuid():N}");
        var error = await Assert.ThrowsAsync<SweepSpecException>(() => platform.SubmitAsync($"""
            name: no-data
            team: ops
            base: {config.ToJsonString()}
            """));
        Assert.Equal("base.data_dir", error.Field);
        Assert.Contains("does not exist", error.Problem);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM sweeps WHERE name = 'no-data'"));
    }
}
