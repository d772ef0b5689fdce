using System.Net;
using System.Text.Json.Nodes;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Cli;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// A sweep's results and report over real HTTP and through the CLI: the results document holds every evaluation row,
/// another team gets 404; `electralab report` writes report.md, the compute-curve SVG and results.json, its findings
/// decided by the intervals; `report --from results.json` makes the same bytes again; a bad results file is one line.
/// </summary>
[Trait("Category", "Api"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SweepReportApiTests(KestrelApiHost host, ITestOutputHelper log) : IClassFixture<KestrelApiHost>
{
    [SkippableFact]
    public async Task Report_FromTheServer_AndAgainFromItsResultsJson_IsTheSameToTheByte()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var other = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var (sweep, experiments) = await ReportedSweep.CreateAsync(host, client, team.Name);

        var results = JsonNode.Parse(await client.GetStringAsync($"/api/sweeps/{sweep}/results"))!;
        Assert.Equal("electralab-sweep-results/1", results["format"]!.GetValue<string>());
        Assert.Equal(3, results["experiments"]!.AsArray().Count);
        Assert.Equal([20, 20, 10], results["experiments"]!.AsArray().Select(e => e!["results"]!.AsArray().Count).OrderDescending());
        // On the sweep page the baseline reads as what it is on the swept axis, not as the base config's objective.
        var details = JsonNode.Parse(await client.GetStringAsync($"/api/sweeps/{sweep}"))!["experiments"]!.AsArray();
        Assert.Equal(["electra", "mlm", "no pre-training"], details.Select(e => e!["axes"]!["objective"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        using var stranger = host.Client(other.Key);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/sweeps/{sweep}/results")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/sweeps/{sweep}/report")).StatusCode);

        var first = Directory.CreateTempSubdirectory("report-1").FullName;
        var made = Cli(["report", sweep.ToString(), "--out", first, "--server", host.Address!.ToString(), "--api-key", team.Key]);
        Assert.Equal(0, made.Code);
        Assert.Contains("ELECTRA > BERT (MLM) at the end of pre-training (paper 85.0 vs 82.2): holds", made.Output);
        Assert.Contains("ELECTRA > BERT (MLM) at every FLOP budget (paper Figure 1): holds", made.Output);
        Assert.Contains("ELECTRA beats no pre-training: holds", made.Output);
        Assert.Contains("BERT (MLM) beats no pre-training: holds", made.Output);
        Assert.Contains("ELECTRA beats the majority class on every task: holds (MRPC 80.6 [", made.Output);
        Assert.Contains("no pre-training beats the majority class on every task: does not hold (MRPC 66.6 [", made.Output);
        Assert.Equal(["compute-curve.svg", "report.md", "results.json"], Directory.GetFiles(first).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var markdown = await File.ReadAllTextAsync(Path.Combine(first, "report.md"));
        Assert.Contains("| arm | train FLOPs | MRPC | score (GLUE-1: MRPC) | paper GLUE (Base, Table 5) |", markdown);
        Assert.Matches(@"\| ELECTRA \| [0-9.e+]+ \| 80\.6 \[8\d\.\d, 8\d\.\d\] n=5 \| 80\.6 \[8\d\.\d, 8\d\.\d\] n=5 \| 85\.0 \|", markdown);
        Assert.Contains("![Score against pre-training FLOPs", markdown);
        Assert.Contains("| majority class (dev) | – | 68.4 | 68.4 | – |", markdown);
        Assert.Matches(@"\| no pre-training \| 0\.0e0 \| 66\.6 \[6\d\.\d, 6\d\.\d\] n=5 \| .* \| – \|", markdown);
        Assert.Contains("<polyline class=\"series\"", await File.ReadAllTextAsync(Path.Combine(first, "compute-curve.svg")));

        var second = Directory.CreateTempSubdirectory("report-2").FullName;
        var again = Cli(["report", "--from", Path.Combine(first, "results.json"), "--out", second]);
        Assert.Equal(0, again.Code);
        foreach (var file in new[] { "report.md", "compute-curve.svg", "results.json" })
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(first, file)), await File.ReadAllBytesAsync(Path.Combine(second, file)));

        // The API's report is the same document.
        var served = JsonNode.Parse(await client.GetStringAsync($"/api/sweeps/{sweep}/report"))!;
        Assert.Equal(markdown, served["markdown"]!.GetValue<string>());
        Assert.Contains("<li>ELECTRA &gt; BERT (MLM) at the end of pre-training", served["html"]!.GetValue<string>());

        var broken = Path.Combine(second, "broken.json");
        await File.WriteAllTextAsync(broken, "{\"format\": 3");
        var refused = Cli(["report", "--from", broken, "--out", second]);
        Assert.Equal(1, refused.Code);
        Assert.StartsWith($"error: --from {broken}: not a results.json", refused.Error.Trim());
        await File.WriteAllTextAsync(broken, "{\"format\": \"something-else/9\", \"sweep\": null, \"experiments\": []}");
        Assert.Contains("is not electralab-sweep-results/1", Cli(["report", "--from", broken, "--out", second]).Error);
        Assert.Contains("give a sweep or --from, not both", Cli(["report", sweep.ToString(), "--from", broken, "--out", second]).Error);
        Assert.Contains("404", Cli(["report", Guid.NewGuid().ToString(), "--out", second, "--server", host.Address!.ToString(), "--api-key", team.Key]).Error);
        _ = experiments;
    }

    private (int Code, string Output, string Error) Cli(params string[] args) => CliRun.Run(log, args);
}
