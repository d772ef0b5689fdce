using System.Formats.Tar;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Grains.Sweeps;
using ElectraLab.Storage;
using ElectraLab.Storage.Checkpoints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Xunit.Abstractions;
using ElectraLab.Config.Pretraining;
using ElectraLab.Sweeps;

namespace ElectraLab.Cluster.Tests;

/// <summary>Two silo processes on PostgreSQL membership; the one running a pre-training job is killed with SIGKILL.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class FailoverTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private const int Steps = 160;
    private const int Interval = 20;
    private const int LogEvery = 5;

    [SkippableFact]
    public async Task Resume_AfterSiloIsKilled_FinishesOnTheOtherSiloFromTheLastCheckpointWithIdenticalWeights()
    {
        database.SkipIfUnavailable();
        var clusterId = $"failover-{Guid.NewGuid():N}";
        // Failure detection tuned for a test (seconds, not the production minute), with margin for a loaded CI machine.
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:ElectraLab"] = database.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Dashboard:Enabled"] = "false",
            ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
            ["Orleans:Membership:NumMissedProbesLimit"] = "3",
            ["Orleans:Membership:TableRefreshTimeout"] = "00:00:01",
            ["Orleans:Messaging:ResponseTimeout"] = "00:00:05",
            ["ElectraLab:Slots:Cpu"] = "1",
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Jobs:HeartbeatInterval"] = "00:00:00.500",
            ["ElectraLab:Jobs:HeartbeatTimeout"] = "00:00:08",
            ["ElectraLab:Scheduler:WorkerReportInterval"] = "00:00:00.500",
            ["ElectraLab:Scheduler:WorkerLeaseTimeout"] = "00:00:06",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:ElectraLab"] = "Information",
        };
        var dataset = TestData.DatasetDirectory;
        using var first = SiloProcess.Start("silo-1", settings);
        using var second = SiloProcess.Start("silo-2", settings);
        try
        {
            await Wait.UntilAsync(() => database.ScalarAsync<long>(
                "SELECT count(*) FROM orleans_membership WHERE deployment_id = $1 AND status = 3", clusterId),
                n => n == 2, TimeSpan.FromSeconds(60), "both silos to join");

            var clientHost = Host.CreateApplicationBuilder();
            clientHost.UseOrleansClient(client =>
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = database.ConnectionString;
                });
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = clusterId;
                });
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
            });
            using var app = clientHost.Build();
            await app.StartAsync();
            var client = app.Services.GetRequiredService<IClusterClient>();
            await Wait.UntilAsync(() => client.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey).GetSnapshotAsync(),
                s => s.Slots.Length == 2, TimeSpan.FromSeconds(30), "both silos' slots");

            var config = TestData.MicroConfig(Steps, LogEvery);
            var spec = SweepSpecLoader.FromYaml($$"""
                name: failover
                team: reliability
                base: {{config.ToJsonString()}}
                checkpoints: {interval: {{Interval}}, keep_last: 2}
                """);
            var submission = await client.GetGrain<ISweepGrain>(Guid.NewGuid()).SubmitAsync(spec);
            var experimentId = Assert.Single(submission.ExperimentIds);
            var experiment = client.GetGrain<IExperimentGrain>(experimentId);

            // Wait for a checkpoint past the first interval, then kill the silo running the job.
            await Wait.UntilAsync(() => database.ScalarAsync<long>(
                "SELECT coalesce(max(step), 0) FROM checkpoints WHERE experiment_id = $1", experimentId),
                step => step >= Interval, TimeSpan.FromSeconds(60), "a first checkpoint");
            var running = (await experiment.GetStatusAsync()).Jobs.Single();
            var (victim, survivor) = running.Silo!.StartsWith(first.KeyPrefix, StringComparison.Ordinal) ? (first, second) : (second, first);
            Assert.StartsWith(victim.KeyPrefix, running.Silo);
            victim.Kill();
            var checkpointAtKill = await database.ScalarAsync<long>("SELECT max(step) FROM checkpoints WHERE experiment_id = $1", experimentId);
            Assert.True(checkpointAtKill < Steps, $"the job finished (step {checkpointAtKill}) before its silo was killed");
            output.WriteLine($"killed {victim.KeyPrefix} with the latest checkpoint at step {checkpointAtKill}");

            await Wait.UntilAsync(() => database.ScalarAsync<string>("SELECT status FROM experiments WHERE id = $1", experimentId),
                s => s is "completed" or "failed", TimeSpan.FromSeconds(120), "the experiment to finish on the surviving silo");

            var status = await Wait.UntilAsync(async () =>
            {
                try
                {
                    return await experiment.GetStatusAsync();
                }
                catch (Exception e) when (e is not TimeoutException)
                {
                    return null;
                }
            }, s => s is not null, TimeSpan.FromSeconds(30), "the experiment's status");
            var job = status!.Jobs.Single();
            output.WriteLine($"job: attempts {job.Attempts}, resumed from {job.ResumedFromStep}, silo {job.Silo}, error {job.Error}");
            Assert.Equal(ExperimentState.Completed, status.State);
            Assert.Equal(Steps, status.Step);
            Assert.StartsWith(survivor.KeyPrefix, job.Silo);
            Assert.Equal(2, job.Attempts);
            // The step counter proves the resume: the second attempt started from the checkpoint written before the kill.
            Assert.True(job.ResumedFromStep >= checkpointAtKill && job.ResumedFromStep >= Interval, $"resumed from {job.ResumedFromStep}");
            Assert.Equal(2, await database.ScalarAsync<int>("SELECT attempt FROM jobs WHERE id = $1", job.JobId));

            // One row per (name, step): every metric at every log step, none lost, none doubled by the replay.
            Assert.Equal(TestData.ElectraMetricsPerLog * (Steps / LogEvery), await database.ScalarAsync<long>("SELECT count(*) FROM metrics WHERE experiment_id = $1", experimentId));
            Assert.Equal((long)(Steps / LogEvery), await database.ScalarAsync<long>(
                "SELECT count(DISTINCT step) FROM metrics WHERE experiment_id = $1 AND name = 'disc_loss'", experimentId));

            // Final weights equal an uninterrupted run of the same resolved config.
            var store = new CheckpointStore(database.DataSource, new StorageOptions { ConnectionString = database.ConnectionString });
            var final = await store.GetLatestAsync(experimentId);
            Assert.Equal(Steps, final!.Step);
            var resumed = TestData.TempDirectory("resumed");
            await using (var stream = await store.OpenReadAsync(final.Id))
            {
                await TarFile.ExtractToDirectoryAsync(stream, resumed, overwriteFiles: true);
            }
            var resolved = PretrainingConfigLoader.FromJson(await database.ScalarAsync<string>("SELECT config::text FROM experiments WHERE id = $1", experimentId))
                with { Device = "cpu", NumThreads = 1 };
            var reference = TestData.TempDirectory("uninterrupted");
            using (var trainer = new Pretrainer(resolved, DatasetBatchSource.Factory(dataset, resolved.TrainBatchSize, resolved.Seed),
                DatasetBatchSource.SpecialTokensOf(dataset)))
            {
                trainer.Train();
                reference = trainer.SaveCheckpoint(reference);
            }
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(reference, PretrainingCheckpoint.ModelFile)),
                await File.ReadAllBytesAsync(Path.Combine(resumed, PretrainingCheckpoint.ModelFile)));
            await app.StopAsync();
        }
        finally
        {
            output.WriteLine(first.Log);
            output.WriteLine(second.Log);
        }
    }
}
