using System.Collections.Concurrent;
using System.Diagnostics;
using ElectraLab.Api.Tests.Support;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// A measurement for the report: the leaderboard endpoint under 50 concurrent clients over loopback HTTP (Kestrel),
/// on a team with 300 scored experiments, first page of 50 rows, sorted by score.
/// </summary>
[Trait("Category", "Api")]
public sealed class LeaderboardLatencyTests(KestrelApiHost host, ITestOutputHelper output) : IClassFixture<KestrelApiHost>
{
    private const int Clients = 50;
    private const int RequestsPerClient = 40;

    [SkippableFact]
    public async Task Leaderboard_Under50ConcurrentClients_ReportsP50AndP99()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var seeding = Enumerable.Range(0, 300).Select(i =>
            host.SeedExperimentAsync(team.Id, $"exp-{i:000}", objective: i % 2 == 0 ? "electra" : "mlm", trainFlops: 1e16 * (1 + i), glue: 0.5 + i / 1000.0));
        foreach (var chunk in seeding.Chunk(10)) await Task.WhenAll(chunk);

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { BaseAddress = host.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", team.Key);
        const string path = "/api/leaderboard?benchmark=glue&sort=score&limit=50";
        for (var i = 0; i < 100; i++) (await client.GetAsync(path)).EnsureSuccessStatusCode();

        var latencies = new ConcurrentBag<double>();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            for (var i = 0; i < RequestsPerClient; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await client.GetAsync(path);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }));
        wall.Stop();
        var sorted = latencies.Order().ToArray();
        double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        var report = $"leaderboard latency, {Clients} concurrent clients × {RequestsPerClient} requests over loopback, 300 experiments, " +
                     $"page of 50: p50 {Percentile(0.50):0.0} ms, p99 {Percentile(0.99):0.0} ms, max {sorted[^1]:0.0} ms, " +
                     $"{sorted.Length / wall.Elapsed.TotalSeconds:0} requests/s on {Environment.ProcessorCount} cores";
        output.WriteLine(report);
        Console.WriteLine(report);
        Assert.Equal(Clients * RequestsPerClient, sorted.Length);
        Assert.True(Percentile(0.99) < 5000, report);
    }
}
