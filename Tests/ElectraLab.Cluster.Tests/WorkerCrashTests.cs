using System.Diagnostics;
using System.Net;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Sweeps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// A job's worker process dies of SIGSEGV (as libtorch did once while writing a checkpoint) in a two-silo cluster: only
/// that attempt fails; it resumes from its checkpoint, while both silos and the co-hosted API answer throughout.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class WorkerCrashTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private const int Steps = 400;
    private const int Interval = 50;
    private const int LogEvery = 5;
    private const string AdminKey = "elab_admin_worker-crash-test";

    [SkippableFact]
    public async Task SegfaultingWorker_CostsOneAttempt_WhichResumesFromItsCheckpoint_AndTheSiloAndApiStayUp()
    {
        database.SkipIfUnavailable();
        var clusterId = $"crash-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:ElectraLab"] = database.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Dashboard:Enabled"] = "false",
            ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
            ["Orleans:Membership:NumMissedProbesLimit"] = "3",
            ["ElectraLab:Slots:Cpu"] = "1",
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Jobs:HeartbeatInterval"] = "00:00:00.500",
            ["ElectraLab:Jobs:HeartbeatTimeout"] = "00:00:20",
            ["ElectraLab:Scheduler:WorkerReportInterval"] = "00:00:00.500",
            ["ElectraLab:Scheduler:WorkerLeaseTimeout"] = "00:00:10",
            ["ElectraLab:Api:AdminKey"] = AdminKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:ElectraLab"] = "Information",
        };
        var ports = new[] { SiloProcess.FreePort(), SiloProcess.FreePort() };
        using var first = SiloProcess.Start("silo-1", new Dictionary<string, string>(settings) { ["ElectraLab:Silo:HostApi"] = "true" }, ports[0]);
        using var second = SiloProcess.Start("silo-2", new Dictionary<string, string>(settings) { ["ElectraLab:Silo:HostApi"] = "true" }, ports[1]);
        try
        {
            await Wait.UntilAsync(() => database.ScalarAsync<long>(
                "SELECT count(*) FROM orleans_membership WHERE deployment_id = $1 AND status = 3", clusterId),
                n => n == 2, TimeSpan.FromSeconds(90), "both silos to join");
            var client = await ConnectAsync(clusterId);
            await Wait.UntilAsync(() => client.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey).GetSnapshotAsync(),
                s => s.Slots.Length == 2, TimeSpan.FromSeconds(30), "both silos' slots");

            var spec = SweepSpecLoader.FromYaml($$"""
                name: worker-crash
                team: reliability
                base: {{TestData.MicroConfig(Steps, LogEvery).ToJsonString()}}
                checkpoints: {interval: {{Interval}}, keep_last: 2}
                """);
            var experimentId = Assert.Single((await client.GetGrain<ISweepGrain>(Guid.NewGuid()).SubmitAsync(spec)).ExperimentIds);
            var experiment = client.GetGrain<IExperimentGrain>(experimentId);
            await Wait.UntilAsync(() => database.ScalarAsync<long>("SELECT coalesce(max(step), 0) FROM checkpoints WHERE experiment_id = $1", experimentId),
                step => step >= Interval, TimeSpan.FromSeconds(120), "a first checkpoint");

            // Both web servers (silo health, and the API reading the database) are polled for the rest of the test.
            using var polling = new CancellationTokenSource();
            var failures = new List<string>();
            var poller = Task.Run(() => PollAsync(ports, failures, polling.Token));

            var running = (await experiment.GetStatusAsync()).Jobs.Single();
            var host = running.Silo!.StartsWith(first.KeyPrefix, StringComparison.Ordinal) ? first : second;
            var worker = await Wait.UntilAsync(() => Task.FromResult(host.Children("worker")), c => c.Count == 1, TimeSpan.FromSeconds(10), "the job's worker process");
            var checkpointAtCrash = await database.ScalarAsync<long>("SELECT max(step) FROM checkpoints WHERE experiment_id = $1", experimentId);
            Signal(worker[0], "SEGV");
            output.WriteLine($"SIGSEGV to worker {worker[0]} of {host.KeyPrefix}; latest checkpoint at step {checkpointAtCrash}");

            await Wait.UntilAsync(() => database.ScalarAsync<string>("SELECT status FROM experiments WHERE id = $1", experimentId),
                s => s is "completed" or "failed", TimeSpan.FromSeconds(180), "the experiment to finish");
            polling.Cancel();
            await poller;

            var status = await experiment.GetStatusAsync();
            var job = status.Jobs.Single();
            output.WriteLine($"job: attempts {job.Attempts}, resumed from {job.ResumedFromStep}, error {job.Error}");
            Assert.Equal(ExperimentState.Completed, status.State);
            Assert.Equal(2, job.Attempts);
            Assert.True(job.ResumedFromStep >= checkpointAtCrash, $"resumed from {job.ResumedFromStep}, checkpoint at crash {checkpointAtCrash}");
            Assert.Contains("SIGSEGV", job.Error);
            Assert.False(first.HasExited || second.HasExited, "a silo died with its worker");
            Assert.Empty(failures);
            Assert.Equal(9L * (Steps / LogEvery), await database.ScalarAsync<long>("SELECT count(*) FROM metrics WHERE experiment_id = $1", experimentId));
        }
        finally
        {
            output.WriteLine(first.Log);
            output.WriteLine(second.Log);
        }
    }

    private static async Task PollAsync(int[] ports, List<string> failures, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        while (!stop.IsCancellationRequested)
        {
            foreach (var port in ports)
            {
                foreach (var path in new[] { "/healthz", "/api/teams" })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
                    request.Headers.Add("X-Api-Key", AdminKey);
                    try
                    {
                        using var response = await http.SendAsync(request, CancellationToken.None);
                        if (response.StatusCode != HttpStatusCode.OK) lock (failures) failures.Add($"{port}{path}: {(int)response.StatusCode}");
                    }
                    catch (HttpRequestException e)
                    {
                        lock (failures) failures.Add($"{port}{path}: {e.Message}");
                    }
                }
            }
            await Task.Delay(250, CancellationToken.None);
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString()]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private async Task<IClusterClient> ConnectAsync(string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client =>
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
        });
        var host = builder.Build();
        await host.StartAsync();
        return host.Services.GetRequiredService<IClusterClient>();
    }
}
