using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Tests.Shared;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// /health/live and /health/ready of a real silo process (co-hosting the API) on a PostgreSQL of the test's own: ready
/// once the silo is active and the database migrated, 503 naming the database within seconds of PostgreSQL stopping
/// (while live stays 200), and 200 again once it is back.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class HealthTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Ready_Turns503WhenPostgresStops_And200WhenItIsBack_WhileLiveStays200()
    {
        var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        Skip.If(OutagePostgresServer.Binaries() is null && !underCi, "PostgreSQL server binaries are not installed");
        await using var server = await OutagePostgresServer.StartAsync();
        var clusterId = $"health-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:ElectraLab"] = server.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Dashboard:Enabled"] = "false",
            ["ElectraLab:Slots:Cpu"] = "1",
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Jobs:WorkDirectory"] = TestData.TempDirectory("health-work"),
            ["ElectraLab:Silo:HostApi"] = "true",
            ["ElectraLab:Api:AdminKey"] = "elab_admin-health-test",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var httpPort = SiloProcess.FreePort();
        using var silo = SiloProcess.Start("silo", settings, httpPort);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            var ready = await Wait.UntilAsync(() => ProbeAsync(http, "/health/ready"), p => p.Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(90), "the silo to become ready", TimeSpan.FromMilliseconds(200));
            Assert.Equal("Healthy", ready.Body["checks"]!["database"]!["status"]!.GetValue<string>());
            Assert.Equal("Healthy", ready.Body["checks"]!["silo"]!["status"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(http, "/health/live")).Status);

            await server.StopServerAsync();
            var stopped = Stopwatch.StartNew();
            var unready = await Wait.UntilAsync(() => ProbeAsync(http, "/health/ready"), p => p.Status == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(10), "ready to turn 503", TimeSpan.FromMilliseconds(100));
            output.WriteLine($"503 {stopped.Elapsed.TotalSeconds:F1} s after PostgreSQL stopped: {unready.Body.ToJsonString()}");
            Assert.Equal("Unhealthy", unready.Body["status"]!.GetValue<string>());
            Assert.Equal("Unhealthy", unready.Body["checks"]!["database"]!["status"]!.GetValue<string>());
            Assert.StartsWith("database unreachable", unready.Body["checks"]!["database"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(http, "/health/live")).Status);
            Assert.Equal(HttpStatusCode.OK, (await ProbeAsync(http, "/healthz")).Status);

            await server.StartServerAsync();
            var restarted = Stopwatch.StartNew();
            await Wait.UntilAsync(() => ProbeAsync(http, "/health/ready"), p => p.Status == HttpStatusCode.OK,
                TimeSpan.FromSeconds(15), "ready to turn 200 again", TimeSpan.FromMilliseconds(100));
            output.WriteLine($"200 again {restarted.Elapsed.TotalSeconds:F1} s after PostgreSQL started");
        }
        catch
        {
            output.WriteLine(silo.Log);
            throw;
        }
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> ProbeAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, JsonNode.Parse(text) ?? new JsonObject());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return (0, new JsonObject());
        }
    }
}
