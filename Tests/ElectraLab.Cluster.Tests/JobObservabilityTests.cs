using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Storage.Logs;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// What an operator and a user see of a real pre-training job: a silo process co-hosting the API trains a micro ELECTRA
/// submitted over HTTP; /metrics (admin key as a Bearer token; the configured network does not include loopback)
/// shows its tokens/s, step and train FLOPs while it runs and the cluster's steps, checkpoint bytes and seconds
/// afterwards; its log holds the runner's lines and a progress line per log interval. A worker that prints and dies
/// leaves its stdout and stderr lines and the error in the attempt's log.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JobObservabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "elab_admin-observability-test";
    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [SkippableFact]
    public async Task PretrainingJob_ShowsThroughputOnMetrics_AndProgressInItsLog()
    {
        _database.SkipIfUnavailable();
        var clusterId = $"obs-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:ElectraLab"] = _database.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Dashboard:Enabled"] = "false",
            ["ElectraLab:Slots:Cpu"] = "1",
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Jobs:WorkDirectory"] = TestData.TempDirectory("obs-work"),
            ["ElectraLab:Silo:HostApi"] = "true",
            ["ElectraLab:Api:AdminKey"] = AdminKey,
            ["ElectraLab:Metrics:AllowedNetworks"] = "10.0.0.0/8",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var dataset = TestData.MicroConfig(1)["data_dir"]!.GetValue<string>();
        var httpPort = SiloProcess.FreePort();
        using var silo = SiloProcess.Start("silo", settings, httpPort);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            await Wait.UntilAsync(() => Wait.HttpStatusAsync(http, "/health/ready"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the silo", TimeSpan.FromMilliseconds(200));
            Assert.Equal(HttpStatusCode.Unauthorized, await Wait.HttpStatusAsync(http, "/metrics"));
            using var admin = new HttpClient { BaseAddress = http.BaseAddress };
            admin.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
            var team = JsonNode.Parse(await (await admin.PostAsJsonAsync("/api/teams", new { name = $"obs-{Guid.NewGuid():N}"[..20] })).Content.ReadAsStringAsync())!;
            var user = JsonNode.Parse(await (await admin.PostAsJsonAsync($"/api/teams/{team["id"]}/users",
                new { name = "Ada", email = $"ada-{Guid.NewGuid():N}@example.org" })).Content.ReadAsStringAsync())!;
            using var client = new HttpClient { BaseAddress = http.BaseAddress };
            client.DefaultRequestHeaders.Add("X-Api-Key", user["apiKey"]!["key"]!.GetValue<string>());
            using var scraper = new HttpClient { BaseAddress = http.BaseAddress };
            scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

            var config = TestData.MicroConfig(400, logEvery: 10);
            var spec = $$"""
                name: observed
                team: {{team["name"]}}
                base: {{config.ToJsonString()}}
                checkpoints: {interval: 100, keep_last: 2}
                """;
            using var submitted = await client.PostAsync("/api/sweeps", new StringContent(spec, Encoding.UTF8, "application/yaml"));
            var body = await submitted.Content.ReadAsStringAsync();
            Assert.True(submitted.IsSuccessStatusCode, body);
            var experiment = JsonNode.Parse(body)!["experimentIds"]![0]!.GetValue<string>();
            var label = $"experiment=\"{experiment}\"";

            var running = await Wait.UntilAsync(() => ScrapeAsync(scraper),
                s => Value(s, "electralab_job_tokens_per_second", label) > 0 && Value(s, "electralab_job_step", label) > 0,
                TimeSpan.FromSeconds(120), "tokens/s of the running job", TimeSpan.FromMilliseconds(500));
            output.WriteLine(Excerpt(running));
            Assert.True(Value(running, "electralab_job_train_flops", label) > 0);
            Assert.True(Value(running, "electralab_job_loss", label, "loss=\"mlm\"") > 0);
            Assert.True(Value(running, "electralab_job_loss", label, "loss=\"disc\"") > 0);
            Assert.Equal(1, Value(running, "electralab_slots", "state=\"busy\""));
            // MFU: achieved train FLOP/s over the matmul rate the worker measured, a fraction once two reports are in.
            var mfu = await Wait.UntilAsync(() => ScrapeAsync(scraper), sc => Value(sc, "electralab_job_mfu", label) > 0,
                TimeSpan.FromSeconds(60), "the job's MFU", TimeSpan.FromMilliseconds(500));
            output.WriteLine($"mfu {Value(mfu, "electralab_job_mfu", label)}");
            Assert.InRange(Value(mfu, "electralab_job_mfu", label)!.Value, 1e-6, 1.0);

            await Wait.UntilAsync(async () => JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{experiment}"))!["summary"]!["status"]!.GetValue<string>(),
                s => ExperimentStates.TerminalNames.Contains(s), TimeSpan.FromSeconds(300), "the experiment to finish", TimeSpan.FromSeconds(1));
            var finished = await Wait.UntilAsync(() => ScrapeAsync(scraper),
                s => Value(s, "electralab_job_outcomes_total", "kind=\"pretrain\"", "state=\"succeeded\"") == 1, TimeSpan.FromSeconds(30), "the outcome");
            output.WriteLine(Excerpt(finished));
            // The attempt started from scratch, so every step it trained is counted: 400, and 400 × 8 × 32 tokens.
            Assert.Equal(400, Value(finished, "electralab_train_steps_total", "kind=\"pretrain\""));
            Assert.Equal(400 * 8 * 32, Value(finished, "electralab_train_tokens_total", "kind=\"pretrain\""));
            Assert.True(Value(finished, "electralab_checkpoint_written_bytes_total") > 100_000);
            Assert.True(Value(finished, "electralab_checkpoint_write_duration_seconds_count") >= 4);
            Assert.True(Value(finished, "electralab_metric_writer_written_total") >= 40 * TestData.ElectraMetricsPerLog);
            Assert.Null(Value(finished, "electralab_job_tokens_per_second", label));
            Assert.Equal(0, Value(finished, "electralab_slots", "state=\"busy\""));

            // Every series the Grafana dashboard queries is one this silo exports (a renamed instrument breaks this).
            var dashboard = await File.ReadAllTextAsync(Path.Combine(TestData.RepoRoot, "deploy", "grafana", "dashboards", "electralab.json"));
            var queried = Regex.Matches(dashboard, @"\b(?:electralab|dotnet|http_server)_[a-z_]+").Select(m => m.Value).ToHashSet();
            Assert.True(queried.Count >= 15, string.Join(", ", queried));
            var exported = $"{running}\n{finished}";
            Assert.All(queried, name => Assert.Matches(new Regex($"^{name}[{{ ]", RegexOptions.Multiline), exported));

            // The log is written in the background: the attempt's last line may land a moment after the experiment ends.
            var logs = await Wait.UntilAsync(async () => JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{experiment}/logs"))!["lines"]!
                    .AsArray().Select(l => $"{l!["source"]}: {l["line"]}").ToList(),
                lines => lines.Count > 0 && lines[^1].StartsWith("runner: finished", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
                "the attempt's last log line", TimeSpan.FromMilliseconds(200));
            foreach (var line in logs.Take(6).Concat(logs.TakeLast(3))) output.WriteLine(line);
            Assert.Contains(logs, l => l.StartsWith("runner: config resolved: {", StringComparison.Ordinal) && l.Contains("\"num_train_steps\":400"));
            Assert.Contains("runner: starting a worker process (1 thread)", logs);
            Assert.Equal(40, logs.Count(l => l.StartsWith("runner: step ", StringComparison.Ordinal) && l.Contains("tokens/s")));
            Assert.Contains(logs, l => l.StartsWith("runner: step 400: mlm_loss ", StringComparison.Ordinal));
            Assert.StartsWith("runner: finished: succeeded at step 400", logs[^1]);
        }
        catch
        {
            output.WriteLine(silo.Log);
            throw;
        }
    }

    [SkippableFact]
    public async Task WorkerThatPrintsAndDies_LeavesItsOutputAndTheErrorInTheAttemptsLog()
    {
        _database.SkipIfUnavailable();
        var script = Path.Combine(TestData.TempDirectory("obs-worker"), "dying-worker.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho 'loading the model'\necho 'CUDA error: out of memory' >&2\nexit 3\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var cluster = await PlatformCluster.StartAsync(_database, settings: new() { ["ElectraLab:Jobs:WorkerCommand"] = script });
        var (sweep, submission) = await cluster.SubmitAsync($$"""
            name: dying
            team: reliability
            max_attempts: 2
            base: {{TestData.MicroConfig(20).ToJsonString()}}
            """);
        await cluster.WaitForSweepAsync(sweep, TimeSpan.FromSeconds(120));
        var experiment = Assert.Single(submission.ExperimentIds);
        var team = await _database.ScalarAsync<Guid>("SELECT team_id FROM experiments WHERE id = $1", experiment);
        var services = ((Orleans.TestingHost.InProcessSiloHandle)cluster.Cluster.Silos[0]).ServiceProvider;
        await services.GetRequiredService<JobLogWriter>().FlushAsync();
        var lines = (await services.GetRequiredService<JobLogQueries>().ReadAsync(team, experiment, 0, 1000))!;
        foreach (var line in lines) output.WriteLine($"{line.DispatchId.ToString()[..8]} {line.Source}: {line.Line}");
        Assert.Equal(2, lines.Select(l => l.DispatchId).Distinct().Count());
        Assert.Equal(2, lines.Count(l => l is { Source: "stdout", Line: "loading the model" }));
        Assert.Equal(2, lines.Count(l => l is { Source: "stderr", Line: "CUDA error: out of memory" }));
        Assert.Equal(2, lines.Count(l => l.Source == "runner" && l.Line.StartsWith("error: the worker process died (exit code 3)", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l.Source == "runner" && l.Line.StartsWith("finished: failed: the worker process died", StringComparison.Ordinal)));
        // The runner's own lines come in order around the worker's.
        var first = lines.Where(l => l.DispatchId == lines[0].DispatchId).Select(l => l.Source == "runner" ? l.Line.Split(':')[0] : l.Source).ToList();
        Assert.Equal(["attempt 0", "config resolved", "data", "starting a worker process (1 thread)", "error", "finished"],
            first.Where(s => s is not ("stdout" or "stderr")).Select(s => s.StartsWith("attempt ", StringComparison.Ordinal) ? "attempt 0" : s));
        Assert.True(first.IndexOf("stdout") > first.IndexOf("starting a worker process (1 thread)"));
    }

    private static async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a metric's samples whose labels contain every given label (null when there is none).</summary>
    private static double? Value(string scrape, string name, params string[] labels)
    {
        double? sum = null;
        foreach (var line in scrape.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' ')) continue;
            if (!labels.All(l => line.Contains(l, StringComparison.Ordinal))) continue;
            var rest = line[(line[name.Length] == '{' ? line.LastIndexOf('}') + 1 : name.Length)..].Trim();
            if (double.TryParse(rest.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var v)) sum = (sum ?? 0) + v;
        }
        return sum;
    }

    private static string Excerpt(string scrape) =>
        string.Join('\n', scrape.Split('\n').Where(l => l.StartsWith("electralab_", StringComparison.Ordinal) && !l.Contains("_bucket{")));
}
