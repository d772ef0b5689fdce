using System.Diagnostics;
using System.Net;

namespace ElectraLab.Benchmarks.Api;

/// <summary>One load run: how many clients, what they achieved, and how long requests took (milliseconds).</summary>
public sealed record LoadResult(string Workload, int Clients, double Seconds, long Requests, long Errors, double RequestsPerSecond,
    double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// A closed-loop load generator: N clients, each sending its next request as soon as the last one's body has been
/// read, over keep-alive connections (one per client) to a loopback server, for a fixed time. A response that is not
/// 2xx, or a request that fails, is an error and its latency is not counted.
/// </summary>
public static class HttpLoad
{
    public static async Task<LoadResult> RunAsync(string workload, Uri server, string? apiKey, IReadOnlyList<string> paths, int clients,
        TimeSpan duration, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(server.Host, out var address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"The load generator only targets loopback addresses, not {server.Host}.", nameof(server));
        }
        if (paths.Count == 0 || clients < 1) throw new ArgumentException("Give at least one path and one client.");
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null) http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);

        var latencies = new List<double>[clients];
        var errors = new long[clients];
        var wall = Stopwatch.StartNew();
        var end = duration;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var own = latencies[client] = new List<double>(4096);
            var buffer = new byte[16 * 1024];
            // Each client starts at its own place in the mix, so the clients do not ask the same thing in step.
            for (var i = client; wall.Elapsed < end && !cancellationToken.IsCancellationRequested; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync(paths[i % paths.Count], HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    while (await body.ReadAsync(buffer, cancellationToken) > 0) { }
                    if (!response.IsSuccessStatusCode)
                    {
                        errors[client]++;
                        continue;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    errors[client]++;
                    continue;
                }
                own.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }, cancellationToken)));
        var seconds = wall.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double At(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
        return new LoadResult(workload, clients, seconds, all.Length, errors.Sum(), all.Length / seconds, At(0.50), At(0.99),
            all.Length == 0 ? double.NaN : all[^1]);
    }
}
