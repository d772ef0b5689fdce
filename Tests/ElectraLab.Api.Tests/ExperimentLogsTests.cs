using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Cli;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// A job attempt's log kept with its experiment: a real no-op sweep runs on the in-process cluster, and its runner lines
/// (attempt, resolved config, finish) come back from GET /api/experiments/{id}/logs, as Server-Sent Events with
/// follow=true, and from `electralab logs` over real HTTP; another team's id is 404.
/// </summary>
[Trait("Category", "Api"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ExperimentLogsTests(KestrelApiHost host, ITestOutputHelper log) : IClassFixture<KestrelApiHost>
{
    [SkippableFact]
    public async Task Logs_OfANoopJob_AreServedAsPagesAndEvents_ToItsTeamOnly_AndByTheCli()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var other = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.Yaml(ApiHost.NoopSweep(team.Name, name: "logged", trials: 1, noopMs: 300))));
        var experiment = Assert.Single(created.ExperimentIds);

        // follow=true: every line as it lands, then the stream ends by itself once the experiment has finished.
        using var follow = new HttpRequestMessage(HttpMethod.Get, $"/api/experiments/{experiment}/logs?follow=true");
        using var streamed = await client.SendAsync(follow, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = new List<SseItem<string>>();
        await foreach (var item in SseParser.Create(await streamed.Content.ReadAsStreamAsync()).EnumerateAsync().WithCancellation(
                           new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            events.Add(item);
        }
        var lines = events.Select(e => JsonNode.Parse(e.Data)!).ToList();
        foreach (var line in lines) log.WriteLine($"{line["source"]}: {line["line"]}");
        Assert.All(events, e => Assert.Equal("line", e.EventType));
        Assert.All(lines, l => Assert.Equal("runner", l["source"]!.GetValue<string>()));
        Assert.Contains(lines, l => l["line"]!.GetValue<string>().StartsWith("attempt ", StringComparison.Ordinal)
                                    && l["line"]!.GetValue<string>().Contains("from scratch"));
        Assert.Contains(lines, l => l["line"]!.GetValue<string>().StartsWith("config resolved: {", StringComparison.Ordinal));
        Assert.Equal("finished: succeeded at step 0, 0 train FLOPs", lines[^1]["line"]!.GetValue<string>());
        Assert.Equal(lines.Select(l => l["seq"]!.GetValue<long>()), Enumerable.Range(1, lines.Count).Select(i => (long)i));
        Assert.Equal(events[^1].EventId, lines[^1]["id"]!.ToString());

        // The same lines as a page; the cursor reads on from the last one.
        var page = JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{experiment}/logs"))!;
        Assert.Equal(lines.Select(l => l["id"]!.GetValue<long>()), page["lines"]!.AsArray().Select(l => l!["id"]!.GetValue<long>()));
        var next = page["next"]!.GetValue<long>();
        Assert.Empty(JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{experiment}/logs?after={next}"))!["lines"]!.AsArray());
        Assert.Single(JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{experiment}/logs?tail=1"))!["lines"]!.AsArray());

        using var stranger = host.Client(other.Key);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/experiments/{experiment}/logs")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/experiments/{experiment}/logs?follow=true")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/experiments/{Guid.NewGuid()}/logs")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/experiments/{experiment}/logs?limit=0")).StatusCode);

        string[] server = ["--server", host.Address!.ToString(), "--api-key", team.Key];
        var printed = Cli(["logs", experiment.ToString(), .. server]);
        Assert.Equal(0, printed.Code);
        var printedLines = printed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Count, printedLines.Length);
        Assert.EndsWith("runner: finished: succeeded at step 0, 0 train FLOPs", printedLines[^1]);
        Assert.Equal(lines[0]["jobId"]!.GetValue<string>()[..8], printedLines[0].Split(' ')[2]);

        var followed = Cli(["logs", experiment.ToString(), "--follow", .. server]);
        Assert.Equal(0, followed.Code);
        Assert.Equal(printed.Output, followed.Output);

        var refused = Cli(["logs", experiment.ToString(), "--server", host.Address!.ToString(), "--api-key", other.Key]);
        Assert.Equal(1, refused.Code);
        Assert.Contains("404", refused.Error);
    }

    private (int Code, string Output, string Error) Cli(params string[] args) => CliRun.Run(log, args);
}
