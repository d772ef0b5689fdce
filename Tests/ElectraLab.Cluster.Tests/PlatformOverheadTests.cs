using System.Diagnostics;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// The platform's own cost per job, measured on no-op jobs (which hold a slot and do nothing), with every write real:
/// grain state, reminders, job and experiment rows in PostgreSQL. ELECTRALAB_BENCH_JOBS sets the sweep size (default 1000).
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class PlatformOverheadTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private const int Slots = 4;

    [SkippableFact]
    public async Task Measure_DispatchLatency_AndANoopSweepAgainstTheSumOfItsJobTimes()
    {
        database.SkipIfUnavailable();
        var jobs = int.TryParse(Environment.GetEnvironmentVariable("ELECTRALAB_BENCH_JOBS"), out var n) ? n : 1000;
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: Slots);

        // Dispatch latency on an idle cluster: from the experiment queuing its job to the runner starting it.
        var latencies = new List<double>();
        var roundTrips = new List<double>();
        for (var i = 0; i < 21; i++)
        {
            var clock = Stopwatch.StartNew();
            var (sweep, _) = await platform.SubmitAsync($"name: ping-{i}\nteam: bench\nworkload: {{kind: noop}}\n");
            var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(5));
            var job = status.Experiments.Single().Jobs.Single();
            if (i == 0) continue; // the first one activates the grains and warms the connections
            roundTrips.Add(clock.Elapsed.TotalMilliseconds);
            latencies.Add((job.StartedAt!.Value - job.EnqueuedAt).TotalMilliseconds);
        }
        latencies.Sort();
        roundTrips.Sort();
        output.WriteLine($"dispatch latency (enqueue → runner start), 20 jobs: median {latencies[10]:0.0} ms, max {latencies[^1]:0.0} ms");
        output.WriteLine($"submit → sweep completed for one no-op job: median {roundTrips[10]:0.0} ms (client polls every 5 ms)");

        // A big sweep of no-op jobs, first empty (all of the wall time is platform), then each holding its slot 20 ms
        // (the sum of job times is 1000 × 20 ms; on 4 slots a perfect platform would take a quarter of that).
        foreach (var hold in new[] { 0, 20 })
        {
            var wall = Stopwatch.StartNew();
            var (big, submission) = await platform.SubmitAsync($$"""
                name: noop-{{jobs}}-{{hold}}ms
                team: bench
                search:
                  method: random
                  max_trials: {{jobs}}
                  random:
                    learning_rate:
                      distribution: log_uniform
                      min: 1.0e-5
                      max: 1.0e-3
                workload:
                  kind: noop
                  noop_ms: {{hold}}
                """);
            var submitted = wall.Elapsed;
            var result = await platform.WaitForSweepAsync(big, TimeSpan.FromMinutes(4), TimeSpan.FromMilliseconds(250));
            var elapsed = wall.Elapsed;
            Assert.Equal(jobs, submission.ExperimentIds.Length);
            Assert.All(result.Experiments, e => Assert.Equal(ExperimentState.Completed, e.State));
            var sumOfJobs = jobs * hold / 1000.0;
            var recorded = result.Experiments.Sum(e => e.Jobs.Single() is var j ? (j.FinishedAt!.Value - j.StartedAt!.Value).TotalSeconds : 0);
            output.WriteLine($"{jobs} no-op jobs of {hold} ms on {Slots} slots: submitted in {submitted.TotalSeconds:0.00} s, all completed after " +
                             $"{elapsed.TotalSeconds:0.00} s; sum of job times {sumOfJobs:0.0} s (ideal wall {sumOfJobs / Slots:0.0} s); " +
                             $"{jobs / elapsed.TotalSeconds:0} jobs/s; {(elapsed.TotalSeconds - sumOfJobs / Slots) * 1000 / jobs:0.0} ms of overhead " +
                             $"per job; slot time per job as recorded (start report → finish processed) {recorded * 1000 / jobs:0.0} ms");
        }
    }
}
