using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Contracts;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// /metrics and traces of the API with a real in-process cluster running no-op jobs: the Prometheus scrape shows the
/// queue, busy slots and job outcomes while and after a sweep runs, next to HTTP latency, runtime, Orleans and storage
/// instruments, for the admin key or an allowed network only; and one trace runs from POST /api/sweeps through the
/// grain calls to every job attempt (in-memory exporter).
/// </summary>
[Trait("Category", "Api"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ObservabilityTests(ObservabilityTests.Host host, ITestOutputHelper log) : IClassFixture<ObservabilityTests.Host>
{
    /// <summary>The API on loopback Kestrel, /metrics open to 127.0.0.2 (loopback too, on Linux), tracing on with an in-memory exporter.</summary>
    public sealed class Host : ApiHost
    {
        public List<Activity> Spans { get; } = [];

        public Host()
        {
            Kestrel = true;
            Settings["ElectraLab:Metrics:AllowedNetworks"] = "127.0.0.2/32, ::1/128";
            Settings["ElectraLab:Telemetry:Tracing"] = "true";
            ConfigureServices = services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans));
        }

        public Activity[] SpansNow()
        {
            lock (Spans) return Spans.ToArray();
        }
    }

    [SkippableFact]
    public async Task Metrics_ShowQueueSlotsAndOutcomesOfARunningSweep_ToTheAdminKeyOrAnAllowedNetworkOnly()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        // From 127.0.0.1, outside the allowed network: only the admin key opens /metrics.
        using var outside = host.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await outside.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await outside.GetAsync("/api/../metrics")).StatusCode);
        outside.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-admin-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await outside.GetAsync("/metrics")).StatusCode);
        outside.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await outside.GetAsync("/metrics")).StatusCode);
        // From 127.0.0.2, inside it: no key needed.
        using var loopback = FromAddress(IPAddress.Parse("127.0.0.2"));

        // Other test classes run clusters and jobs in this process too, and their hosts come and go: only this team's
        // series (queue, wait) are exact here; the exact counts of one job are JobObservabilityTests' (a silo process).
        // Three 3-second no-op jobs on two slots: two run, one waits.
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.Yaml(ApiHost.NoopSweep(team.Name, name: "scraped", trials: 3, noopMs: 3000))));
        var teamLabel = $"team=\"{team.Name}\"";
        var during = await WaitForScrapeAsync(loopback, text => Value(text, "electralab_queue_length", teamLabel) == 1
                                                             && Value(text, "electralab_slots", "state=\"busy\"") >= 2, "a queued job and two busy slots");
        log.WriteLine(Excerpt(during, "electralab_"));

        // Other test classes run jobs in this process too: this sweep's end is read from the API, not from the counters.
        await Wait(async () => (await ApiHost.ReadAsync<System.Text.Json.Nodes.JsonObject>(await client.GetAsync($"/api/sweeps/{created.SweepId}")))["status"]!
            .GetValue<string>() == "completed", TimeSpan.FromSeconds(60), "the sweep to complete");
        await WaitForScrapeAsync(loopback, text => Value(text, "electralab_job_outcomes_total", "kind=\"noop\"", "state=\"succeeded\"") >= 3
                                                    && Value(text, "electralab_queue_length", teamLabel) == 0
                                                    && Value(text, "electralab_job_log_written_total") >= 3,
            "three finished jobs and their log lines", TimeSpan.FromSeconds(60));
        var after = await ScrapeAsync(loopback);
        log.WriteLine(Excerpt(after, "electralab_"));
        Assert.True(Value(after, "electralab_queue_wait_seconds_count", teamLabel) >= 3);
        // The third job waited for a slot about as long as a job runs.
        Assert.True(Value(after, "electralab_queue_wait_seconds_sum", teamLabel) >= 2.5);
        Assert.NotNull(Value(after, "electralab_metric_writer_written_total"));
        Assert.NotNull(Value(after, "electralab_metric_writer_buffered"));
        Assert.Equal(0, Value(after, "electralab_job_log_dropped_total"));
        // ASP.NET Core's own latency histogram, the runtime's, Orleans' and Npgsql's instruments share the endpoint.
        Assert.True(Value(after, "http_server_request_duration_seconds_count", "http_route=\"/api/sweeps/\"") >= 1);
        Assert.Matches(new Regex(@"^dotnet_gc_collections_total", RegexOptions.Multiline), after);
        Assert.Matches(new Regex(@"^orleans_", RegexOptions.Multiline), after);
        Assert.Matches(new Regex(@"^db_client_", RegexOptions.Multiline), after);
        Assert.Equal(3, created.ExperimentIds.Count);
    }

    [SkippableFact]
    public async Task Trace_FollowsASweepFromThePostThroughTheGrainsToEveryJobAttempt()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.Yaml(ApiHost.NoopSweep(team.Name, name: "traced", trials: 2))));

        var experiments = created.ExperimentIds.Select(id => id.ToString()).ToHashSet();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        Activity[] attempts;
        while ((attempts = host.SpansNow().Where(s => s.Source.Name == TelemetryNames.ActivitySource && s.OperationName == "job noop"
                   && experiments.Contains(s.GetTagItem("electralab.experiment") as string ?? "")).ToArray()).Length < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "two job attempt spans");
            await Task.Delay(100);
        }
        var spans = host.SpansNow();
        var post = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore"
                                             && s.DisplayName == "POST /api/sweeps/" && s.TraceId == attempts[0].TraceId);
        var trace = spans.Where(s => s.TraceId == post.TraceId).ToArray();
        foreach (var span in trace.OrderBy(s => s.StartTimeUtc)) log.WriteLine($"{span.StartTimeUtc:HH:mm:ss.fff} {span.Source.Name} {span.DisplayName} {span.Duration.TotalMilliseconds:F1} ms");
        Assert.All(attempts, a => Assert.Equal(post.TraceId, a.TraceId));
        Assert.All(attempts, a => Assert.Equal("succeeded", a.GetTagItem("electralab.outcome")));
        // The grain calls it caused: the sweep's submission and each experiment's start, on the Orleans sources.
        Assert.Contains(trace, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.DisplayName.Contains("SubmitAsync"));
        Assert.Equal(2, trace.Count(s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.Kind == ActivityKind.Server
                                         && s.DisplayName.Contains("IExperimentGrain/StartAsync")));
        // And the database work (Npgsql) inside it.
        Assert.Contains(trace, s => s.Source.Name == "Npgsql");
    }

    /// <summary>A client whose connections leave from <paramref name="source"/> (any 127.x address is this machine on Linux).</summary>
    private HttpClient FromAddress(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = host.Address };
    }

    private static async Task Wait(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    private static async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<string> WaitForScrapeAsync(HttpClient http, Func<string, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var text = await ScrapeAsync(http);
            if (condition(text)) return text;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no scrape showed {what}; last:\n{Excerpt(text, "electralab_")}");
            await Task.Delay(200);
        }
    }

    /// <summary>The sum of a metric's samples whose labels contain every given label (null when there is none).</summary>
    private static double? Value(string scrape, string name, params string[] labels)
    {
        double? sum = null;
        foreach (var line in scrape.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' ')) continue;
            if (!labels.All(l => line.Contains(l, StringComparison.Ordinal))) continue;
            // "name{labels} value [timestamp]"
            var rest = line[(line[name.Length] == '{' ? line.LastIndexOf('}') + 1 : name.Length)..].Trim();
            var value = rest.Split(' ')[0];
            if (double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var v)) sum = (sum ?? 0) + v;
        }
        return sum;
    }

    private static string Excerpt(string scrape, string prefix) =>
        string.Join('\n', scrape.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && !l.Contains("_bucket{")));
}
