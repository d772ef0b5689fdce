using System.Collections.Concurrent;
using System.Text;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// OTLP export switched by the standard variables alone: with OTEL_EXPORTER_OTLP_ENDPOINT set (http/protobuf, to a
/// receiver on loopback that keeps what it is sent) the API exports traces (the sweep's spans, the service's name),
/// metrics and logs; without it no tracer exists at all.
/// </summary>
[Trait("Category", "Api")]
public sealed class OtlpExportTests(OtlpExportTests.Host host, ITestOutputHelper log) : IClassFixture<OtlpExportTests.Host>
{
    /// <summary>A loopback OTLP/HTTP receiver, and the API configured to export to it.</summary>
    public sealed class Host : ApiHost
    {
        private readonly WebApplication _receiver;

        public ConcurrentQueue<(string Path, byte[] Body)> Received { get; } = new();

        public Host()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            _receiver = builder.Build();
            _receiver.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                Received.Enqueue(($"/v1/{signal}", body.ToArray()));
                return Results.Ok();
            });
            _receiver.StartAsync().GetAwaiter().GetResult();
            var address = _receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = address;
            Settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            Settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
            Settings["OTEL_BLRP_SCHEDULE_DELAY"] = "200";
            Settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            await _receiver.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task WithAnOtlpEndpoint_TracesMetricsAndLogsAreExported()
    {
        host.SkipIfUnavailable();
        Assert.NotNull(host.Factory.Services.GetService<TracerProvider>());
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps", ApiHost.Yaml(ApiHost.NoopSweep(team.Name, name: "exported", trials: 1))));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(Has("/v1/traces", "job noop") && Has("/v1/traces", "POST /api/sweeps") && Has("/v1/metrics", "electralab.queue.wait")
                 && Has("/v1/logs", "submitted by team")))
        {
            Assert.True(DateTime.UtcNow < deadline,
                $"not all exported; received: {string.Join(", ", host.Received.GroupBy(r => r.Path).Select(g => $"{g.Key} ×{g.Count()}"))}");
            await Task.Delay(200);
        }
        // The resource names the service in every export.
        Assert.True(Has("/v1/traces", "electralab-api"));
        log.WriteLine(string.Join(", ", host.Received.GroupBy(r => r.Path).Select(g => $"{g.Key} ×{g.Count()}, {g.Sum(r => r.Body.Length)} bytes")));
    }

    /// <summary>Protobuf keeps strings as UTF-8 bytes, so a name sent is found in the body as it is.</summary>
    private bool Has(string path, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        return host.Received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(needle) >= 0);
    }
}

/// <summary>Without OTEL_EXPORTER_OTLP_ENDPOINT (and without ElectraLab:Telemetry:Tracing) there is no tracer.</summary>
[Trait("Category", "Api")]
public sealed class NoOtlpTests(ApiHost host) : IClassFixture<ApiHost>
{
    [SkippableFact]
    public void WithoutAnOtlpEndpoint_NoTracerIsBuilt()
    {
        host.SkipIfUnavailable();
        Skip.If(!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")), "the environment sets an OTLP endpoint");
        Assert.Null(host.Factory.Services.GetService<TracerProvider>());
    }
}
