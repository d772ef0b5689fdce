using System.Net.Http.Json;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace ElectraLab.Api.Tests;

/// <summary>
/// The web pages in headless Chromium (Debian's package; Playwright never downloads a browser): the leaderboard renders
/// the team's real rows and its compute plot, and the experiment page draws its generator and discriminator curves.
/// </summary>
[Trait("Category", "Browser")]
public sealed class BrowserTests(KestrelApiHost host) : IClassFixture<KestrelApiHost>
{
    private const string Chromium = "/usr/bin/chromium";

    [SkippableFact]
    public async Task LeaderboardPage_RendersRealRows_AndTheComputePlot()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "electra-best", trainFlops: 2e17, glue: 0.82);
        await host.SeedExperimentAsync(team.Id, "mlm-baseline", objective: "mlm", trainFlops: 2e17, glue: 0.74);
        await host.SeedExperimentAsync(team.Id, "electra-early", trainFlops: 5e16, glue: 0.71);
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);

        await page.GotoAsync(new Uri(host.Address!, "/ui/leaderboard").ToString());
        await page.WaitForFunctionAsync("document.querySelectorAll('tr.lb-row').length === 3");
        var names = await page.Locator("tr.lb-row td.name a").AllInnerTextsAsync();
        Assert.Equal(["electra-best", "mlm-baseline", "electra-early"], names);
        Assert.Contains("COLA", await page.Locator("#leaderboard thead").InnerTextAsync());
        // Each median shows its three seeds' spread (seeded 0.01 apart: ±1.00, scores ×100 as in the paper and the CLI).
        Assert.Contains("±1.00", await page.Locator("tr.lb-row").First.InnerTextAsync());
        Assert.Equal(3, await page.Locator("#compute-plot circle[fill-opacity]").CountAsync());

        // Sorting by a column goes back to the server: name ascending.
        await page.Locator("#leaderboard th", new() { HasText = "Experiment" }).ClickAsync();
        await page.WaitForFunctionAsync(
            "[...document.querySelectorAll('tr.lb-row td.name a')].map(a => a.textContent).join() === 'electra-best,electra-early,mlm-baseline'");

        // Any task can be the plot's y axis.
        await page.SelectOptionAsync("#y-axis", "sst2");
        await page.WaitForFunctionAsync("document.querySelector('#compute-plot').textContent.includes('y: sst2')");
        Assert.Equal(3, await page.Locator("#compute-plot circle[fill-opacity]").CountAsync());

        // The grid with every GLUE column fits a 1280 px window.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= 1280"),
            $"page width {await page.EvaluateAsync<int>("document.documentElement.scrollWidth")}");

        var plot = Png.Decode(await page.Locator("#compute-plot").ScreenshotAsync());
        Assert.True(plot.Count(0x1f, 0x77, 0xb4) + plot.Count(0xd6, 0x27, 0x28) > 50, "the compute plot shows its points");
    }

    [SkippableFact]
    public async Task ExperimentPage_DrawsGeneratorAndDiscriminatorCurves_AndResultsPerSeed()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "curvy", glue: 0.8, metricSteps: 1500);
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);

        await page.GotoAsync(new Uri(host.Address!, $"/ui/experiments/{experiment.Id}").ToString());
        await page.WaitForSelectorAsync("#curve-mlm_loss polyline");
        await page.WaitForSelectorAsync("#curve-disc_loss polyline");
        Assert.Equal("curvy", await page.Locator("#title").InnerTextAsync());
        Assert.Equal("completed", await page.Locator("#status").InnerTextAsync());
        Assert.Equal(24, await page.Locator("#results tbody tr").CountAsync());

        foreach (var curve in new[] { "#curve-mlm_loss", "#curve-disc_loss" })
        {
            var png = Png.Decode(await page.Locator(curve).ScreenshotAsync());
            var line = png.Count(0x1f, 0x77, 0xb4, tolerance: 30);
            Assert.True(line > 300, $"{curve}: {line} pixels of the curve's colour in a {png.Width}×{png.Height} plot");
        }
    }

    [SkippableFact]
    public async Task RunsAndSweepPages_ListEveryStateAndFollowASweepLive()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "done-run", glue: 0.8);
        await host.SeedExperimentAsync(team.Id, "broken-run", glue: null, status: "failed");
        await host.SeedExperimentAsync(team.Id, "busy-run", glue: null, status: "pretraining");
        using var client = host.Client(team.Key);
        var sweep = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.Yaml(ApiHost.NoopSweep(team.Name, name: "live", trials: 2, noopMs: 1500))));
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);

        // Runs: every experiment of the team, whatever its state, and a status filter that goes to the server.
        await page.GotoAsync(new Uri(host.Address!, "/ui/runs").ToString());
        await page.WaitForFunctionAsync("document.querySelectorAll('tr.run-row').length === 5");
        var states = await page.Locator("tr.run-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.status)");
        Assert.Contains("failed", states);
        Assert.Contains("pretraining", states);
        Assert.Contains("completed", states);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= 1280"),
            $"runs page width {await page.EvaluateAsync<int>("document.documentElement.scrollWidth")}");
        await page.SelectOptionAsync("#status", "failed");
        await page.WaitForFunctionAsync("document.querySelectorAll('tr.run-row').length === 1");
        Assert.Contains("broken-run", await page.Locator("tr.run-row").InnerTextAsync());
        // Pushed, not polled: with the filter cleared, the live sweep's rows turn completed without a reload.
        await page.SelectOptionAsync("#status", "");
        await page.WaitForFunctionAsync(
            "(() => { const live = [...document.querySelectorAll('tr.run-row')].filter(r => r.textContent.includes('live/'));" +
            " return live.length === 2 && live.every(r => r.dataset.status === 'completed'); })()", null, new() { Timeout = 60_000 });

        // The sweep list links to the sweep, whose page follows its experiments until the sweep completes.
        await page.GotoAsync(new Uri(host.Address!, "/ui/sweeps").ToString());
        await page.Locator($"tr.sweep-row[data-sweep='{sweep.SweepId}'] a").ClickAsync();
        await page.WaitForFunctionAsync("document.querySelectorAll('tr.sweep-experiment').length === 2");
        Assert.Equal("live", await page.Locator("#title").InnerTextAsync());
        await page.WaitForFunctionAsync(
            "[...document.querySelectorAll('tr.sweep-experiment')].every(r => r.dataset.status === 'completed')",
            null, new() { Timeout = 60_000 });
        Assert.Equal("completed", await page.Locator("#status").InnerTextAsync());
        Assert.Equal(2, await page.Locator("tr.sweep-experiment .progress .fill[style*='100']").CountAsync());
        // The swept axis is a column, the results are grouped by its values, and the spec is on the page.
        Assert.Equal(1, await page.Locator("#experiments th[data-axis='learning_rate']").CountAsync());
        Assert.Equal(2, await page.Locator("tr.group-row[data-axis='learning_rate']").CountAsync());
        Assert.Contains("learning_rate", await page.Locator("#spec").TextContentAsync());

        // Scores arrive: the score is plotted against the axis, one point per scored experiment.
        await host.Service<Storage.Results.EvaluationResultStore>().AddAsync(sweep.ExperimentIds.Select((id, i) =>
            new Storage.Results.EvaluationResultRow(id, 100, "sst2", "accuracy", 1, 0.6 + 0.1 * i)).ToList());
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("document.querySelectorAll(\"svg.axis-plot[data-axis='learning_rate'] circle\").length === 2");

        // A grid over two seeds: each value's group has two scores, so a median with its bootstrap interval.
        var grid = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps", ApiHost.Yaml($$$"""
            name: grid
            team: {{{team.Name}}}
            seeds: {pretraining: [1, 2]}
            search: {grid: {mask_prob: [0.15, 0.2]}}
            workload: {kind: noop}
            """)));
        var scores = new[] { 0.70, 0.74, 0.80, 0.86 };
        await host.Service<Storage.Results.EvaluationResultStore>().AddAsync(grid.ExperimentIds.Select((id, i) =>
            new Storage.Results.EvaluationResultRow(id, 100, "sst2", "accuracy", 1, scores[i])).ToList());
        await page.GotoAsync(new Uri(host.Address!, $"/ui/sweeps/{grid.SweepId}").ToString());
        await page.WaitForFunctionAsync("document.querySelectorAll('tr.group-row').length === 2");
        var group = await page.Locator("tr.group-row[data-value='0.15']").Locator("td").AllInnerTextsAsync();
        Assert.Equal(["mask_prob", "0.15", "2", "72.00", "70.00 – 74.00", "70.00 – 74.00"], group);
        // The page fits a 1280 px window.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= 1280"));
    }

    [SkippableFact]
    public async Task SweepPage_ShowsPretrainingProgressMoving_PushedByTheServer()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        // A real micro ELECTRA pre-training job in a worker process: long enough to watch, cancelled once seen moving.
        var config = Cluster.Tests.Support.TestData.MicroConfig(steps: 20_000, logEvery: 50).ToJsonString();
        var sweep = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps",
            ApiHost.JsonBody($$"""{"name": "moving", "team": "{{team.Name}}", "base": {{config}}}""")));
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);
        await page.GotoAsync(new Uri(host.Address!, $"/ui/sweeps/{sweep.SweepId}").ToString());

        const string Width = "(() => { const f = document.querySelector('tr.sweep-experiment .progress .fill'); return f ? parseFloat(f.style.width) : 0; })()";
        await page.WaitForFunctionAsync($"{Width} > 0", null, new() { Timeout = 90_000 });
        var first = await page.EvaluateAsync<double>(Width);
        await page.WaitForFunctionAsync($"{Width} > {first.ToString(System.Globalization.CultureInfo.InvariantCulture)}", null, new() { Timeout = 60_000 });
        Assert.Equal("pretraining", await page.Locator("tr.sweep-experiment").GetAttributeAsync("data-status"));
        await page.WaitForFunctionAsync("(document.querySelector('tr.sweep-experiment td.step')?.textContent ?? '').includes('steps/s')", null,
            new() { Timeout = 30_000 });
        Assert.Matches(@"\d+ tokens/s", await page.Locator("tr.sweep-experiment td.step").InnerTextAsync());
        Assert.Contains("left", await page.Locator("tr.sweep-experiment td.step").InnerTextAsync());

        await client.PostAsJsonAsync($"/api/sweeps/{sweep.SweepId}/cancel", new { reason = "seen moving" });
        await page.WaitForFunctionAsync("document.querySelector('tr.sweep-experiment').dataset.status === 'cancelled'", null,
            new() { Timeout = 60_000 });
    }

    [SkippableFact]
    public async Task Compare_FromTheRunsTable_OverlaysTwoRunsCurves_AndPutsTheirResultsSideBySide()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var first = await host.SeedExperimentAsync(team.Id, "curve-a", glue: 0.81, metricSteps: 400);
        var second = await host.SeedExperimentAsync(team.Id, "curve-b", objective: "mlm", glue: 0.74, metricSteps: 400, lossOffset: 0.3);
        await using (var db = host.CreateContext())
        {
            var row = await db.Experiments.SingleAsync(e => e.Id == first.Id);
            (row.DatasetName, row.DatasetSha256, row.VocabSha256, row.VocabSize) = ("/data/wiki", new string('c', 64), new string('d', 64), 30522);
            await db.SaveChangesAsync();
        }
        await host.SeedExperimentAsync(team.Id, "bystander", glue: null);
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);

        await page.GotoAsync(new Uri(host.Address!, "/ui/runs").ToString());
        await page.WaitForFunctionAsync("document.querySelectorAll('tr.run-row').length === 3");
        Assert.True(await page.Locator("#compare").IsDisabledAsync());
        // Chosen metric columns show each run's newest value (curve-a's disc_loss at step 400: 0.6·e^-2 + 0.2).
        await page.FillAsync("#metric-columns", "disc_loss");
        await page.Locator("#metric-columns").DispatchEventAsync("change");
        await page.WaitForFunctionAsync("[...document.querySelectorAll('#runs th')].some(th => th.textContent === 'disc_loss')");
        Assert.Equal((0.6 * Math.Exp(-2.0) + 0.2).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)[..5],
            (await page.Locator($"tr.run-row[data-experiment='{first.Id}'] td.metric").InnerTextAsync())[..5]);
        Assert.Equal("–", await page.Locator("tr.run-row", new() { HasText = "bystander" }).Locator("td.metric").InnerTextAsync());
        await page.Locator($"tr.run-row[data-experiment='{first.Id}'] input.pick").CheckAsync();
        await page.Locator($"tr.run-row[data-experiment='{second.Id}'] input.pick").CheckAsync();
        await page.Locator("#compare").ClickAsync();
        await page.WaitForURLAsync("**/ui/compare?ids=*");

        // Both runs' discriminator loss, one line each in their own colour.
        await page.WaitForFunctionAsync("document.querySelectorAll('#overlay polyline.series').length === 2");
        // The data each trained on leads the diff, marked where it differs (curve-b's is not recorded).
        Assert.Equal(["data", "wiki · cccccccccccc", "–"], await page.Locator("tr.data-row[data-key='data'] td").AllInnerTextsAsync());
        Assert.Contains("differs", await page.Locator("tr.data-row[data-key='data']").GetAttributeAsync("class"));
        Assert.Equal("disc_loss", await page.Locator("#metric").InputValueAsync());
        Assert.Equal(["disc_loss", "learning_rate", "mlm_loss"], await page.Locator("#metric option").AllInnerTextsAsync());
        var strokes = await page.Locator("#overlay polyline.series").EvaluateAllAsync<string[]>("ls => ls.map(l => l.getAttribute('stroke'))");
        Assert.Equal(2, strokes.Distinct().Count());
        var overlay = Png.Decode(await page.Locator("#overlay").ScreenshotAsync());
        Assert.True(overlay.Count(0x1f, 0x77, 0xb4, tolerance: 30) > 200 && overlay.Count(0xd6, 0x27, 0x28, tolerance: 30) > 200,
            "both curves are drawn");

        // Another metric redraws; the results table has one row per run, scores ×100.
        await page.SelectOptionAsync("#metric", "mlm_loss");
        await page.WaitForFunctionAsync("document.querySelectorAll('#overlay polyline.series').length === 2");
        var rows = await page.Locator("#results tr.result-row").AllInnerTextsAsync();
        Assert.Equal(2, rows.Count);
        Assert.Contains("81.00", rows[0]);
        Assert.Contains("74.00", rows[1]);
    }

    [SkippableFact]
    public async Task ExperimentPage_ShowsLineageFailureAndCheckpoints_AnyMetric_AndSavesTagsAndNotes()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "annotated", glue: 0.8, metricSteps: 300, status: "failed", tags: ["old"]);
        await using (var db = host.CreateContext())
        {
            var row = await db.Experiments.SingleAsync(e => e.Id == experiment.Id);
            row.FailureReason = "finetune-eval rte@300 cannot run: no GLUE data for RTE";
            row.Notes = "first try";
            (row.DatasetName, row.DatasetSha256, row.VocabSha256, row.VocabSize) = ("wiki", new string('a', 64), new string('b', 64), 30522);
            await db.SaveChangesAsync();
        }
        await host.Service<Storage.Checkpoints.CheckpointStore>().WriteAsync(experiment.Id, 300, Storage.Entities.Checkpoint.TrainingState,
            new MemoryStream(new byte[4096]));
        await using (var logs = new Storage.Logs.JobLogWriter(host.Service<Npgsql.NpgsqlDataSource>()))
        {
            var job = Guid.NewGuid();
            logs.Append(new(experiment.Id, job, Guid.NewGuid(), 1, DateTimeOffset.UtcNow, "runner", "attempt 1 on slot 0 (cpu)"));
            logs.Append(new(experiment.Id, job, Guid.NewGuid(), 2, DateTimeOffset.UtcNow, "stderr", "cannot run: no GLUE data for RTE"));
            Assert.True(await logs.FlushAsync());
        }
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);

        await page.GotoAsync(new Uri(host.Address!, $"/ui/experiments/{experiment.Id}").ToString());
        await page.WaitForSelectorAsync("#curve-chosen polyline");
        Assert.Contains("no GLUE data for RTE", await page.Locator("#failure").InnerTextAsync());
        Assert.Equal("Data: wiki · sha256 aaaaaaaaaaaa · vocabulary 30,522 tokens, sha256 bbbbbbbbbbbb", await page.Locator("#data").InnerTextAsync());
        Assert.Equal(1, await page.Locator("#checkpoints tr.checkpoint-row").CountAsync());
        var logText = await page.Locator("#log").TextContentAsync();
        Assert.Contains("attempt 1 on slot 0 (cpu)", logText);
        Assert.Contains("cannot run: no GLUE data for RTE", logText);
        Assert.Equal(["disc_loss", "learning_rate", "mlm_loss"], await page.Locator("#metric-choice option").AllInnerTextsAsync());
        Assert.Equal("old", await page.Locator("#tags").InputValueAsync());
        Assert.Equal("first try", await page.Locator("#notes").InputValueAsync());

        await page.FillAsync("#tags", "old, baseline");
        await page.FillAsync("#notes", "the control run");
        await page.Locator("#annotations button").ClickAsync();
        await page.WaitForFunctionAsync("document.getElementById('saved').textContent === 'saved'");
        await using (var db = host.CreateContext())
        {
            var row = await db.Experiments.AsNoTracking().SingleAsync(e => e.Id == experiment.Id);
            Assert.Equal(["old", "baseline"], row.Tags);
            Assert.Equal("the control run", row.Notes);
            Assert.Equal("finetune-eval rte@300 cannot run: no GLUE data for RTE", row.FailureReason); // notes never overwrite it
        }
    }

    [SkippableFact]
    public async Task SweepReportPage_ShowsTheFindingsTheTableAndTheComputeCurve()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        var (sweep, _) = await ReportedSweep.CreateAsync(host, client, team.Name);
        await using var browser = await LaunchAsync();
        var page = await NewPageAsync(browser, team.Key);

        await page.GotoAsync(new Uri(host.Address!, $"/ui/sweeps/{sweep}").ToString());
        await page.WaitForFunctionAsync("document.getElementById('report-link').getAttribute('href').endsWith('/report')");
        await page.Locator("#report-link").ClickAsync();
        await page.WaitForURLAsync($"**/ui/sweeps/{sweep}/report");
        await page.WaitForSelectorAsync("#report ul.findings li");
        Assert.Equal("Report: electra-vs-mlm", await page.Locator("#report h1").InnerTextAsync());
        var findings = await page.Locator("#report ul.findings li").AllInnerTextsAsync();
        Assert.Contains(findings, f => f.StartsWith("ELECTRA > BERT (MLM) at every FLOP budget (paper Figure 1): holds", StringComparison.Ordinal));
        var rows = await page.Locator("#report table.report-table").First.Locator("tbody tr").AllInnerTextsAsync();
        Assert.Equal(4, rows.Count);
        Assert.StartsWith("no pre-training", rows[2]);
        Assert.StartsWith("majority class (dev)", rows[3]);
        Assert.StartsWith("ELECTRA", rows[0]);
        Assert.Equal(2, await page.Locator("#report figure svg polyline.series").CountAsync());
        var curve = Png.Decode(await page.Locator("#report figure svg").ScreenshotAsync());
        Assert.True(curve.Count(0x1f, 0x77, 0xb4, tolerance: 30) > 100 && curve.Count(0xd6, 0x27, 0x28, tolerance: 30) > 100, "both arms are drawn");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= 1280"),
            $"report page width {await page.EvaluateAsync<int>("document.documentElement.scrollWidth")}");
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!underCi) Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install chromium)");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        return await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
    }

    private static async Task<IPage> NewPageAsync(IBrowser browser, string key)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 1000 } });
        // The pages read the key from localStorage, as if the user had entered it once.
        await context.AddInitScriptAsync($"localStorage.setItem('electralab.key', '{key}');");
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        page.Console += (_, message) => Console.WriteLine($"browser console: {message.Text}");
        page.PageError += (_, error) => Console.WriteLine($"browser error: {error}");
        page.RequestFailed += (_, request) => Console.WriteLine($"browser request failed: {request.Url} {request.Failure}");
        return page;
    }
}
