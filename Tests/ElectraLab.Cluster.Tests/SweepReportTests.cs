using System.Text.Json;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Reports;
using ElectraLab.Storage.Queries;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// A real sweep with a no-pre-training arm (num_train_steps 0: the initial weights are checkpointed and fine-tuned like
/// any other), reported: both arms evaluated on MRPC over two fine-tuning seeds, the report's table has a median and
/// interval per arm, its findings test the trained arm against the baseline, and the report made again from the
/// results as saved to JSON is the same to the byte.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class SweepReportTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task NoPretrainingArm_IsEvaluated_AndTheReportComparesEveryArmWithIt_Reproducibly()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 2);
        var (sweep, submission) = await platform.SubmitAsync($$"""
            name: baseline-report
            team: nlp
            base: {{TestData.MicroConfig(steps: 20, logEvery: 10).ToJsonString()}}
            search:
              grid:
                num_train_steps: [0, 20]
            seeds:
              finetuning: [1, 2]
            evaluation:
              glue: [MRPC]
              finetune: {max_train_examples: 32, num_train_epochs: 1, train_batch_size: 16, eval_batch_size: 64, max_seq_length: 32}
            """);
        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromMinutes(3));
        Assert.Equal(SweepStatus.Completed, status.State);

        var team = await database.ScalarAsync<Guid>("SELECT team_id FROM sweeps WHERE id = $1", submission.SweepId);
        var results = await new SweepResultsQueries(database.DataSource).ExportAsync(team, submission.SweepId);
        Assert.NotNull(results);
        var baseline = results.Experiments.Single(e => e.Config!["num_train_steps"]!.GetValue<long>() == 0);
        Assert.Equal(0, baseline.TrainFlops);
        Assert.Equal([0L, 0L], baseline.Results.Where(r => r.Metric == "accuracy").Select(r => r.Step));
        Assert.Equal(2, results.Experiments.Single(e => e != baseline).Results.Count(r => r.Metric == "accuracy" && r.Step == 20));

        var document = SweepReport.Build(results);
        var (markdown, figures) = MarkdownReport.Render(document);
        output.WriteLine(markdown);
        Assert.StartsWith("# Report: baseline-report\n", markdown);
        Assert.Contains("| num_train_steps=20 | ", markdown);
        Assert.Contains("| no pre-training | 0.0e0 | ", markdown);
        Assert.Contains("- num_train_steps=20 beats no pre-training: ", markdown);
        Assert.Contains("- no pre-training beats the majority class on every task: ", markdown);
        Assert.Contains("| majority class (dev) | – | 68.4 | 68.4 |", markdown);
        Assert.Matches(@"\| MRPC \| score \(GLUE-1: MRPC\) \|", markdown);
        Assert.Matches(@"\| no pre-training \| 0\.0e0 \| \d+\.\d \[\d+\.\d, \d+\.\d\] n=2 \|", markdown);
        Assert.Empty(figures); // one evaluation per arm: no curve to draw

        // What `electralab report` saves and `report --from` reads back gives the same bytes.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true };
        var saved = JsonSerializer.Serialize(results, options);
        var again = MarkdownReport.Render(SweepReport.Build(JsonSerializer.Deserialize<SweepResultsExport>(saved, options)!));
        Assert.Equal(markdown, again.Markdown);
        var html = HtmlReport.Render(document);
        Assert.Contains("<table class=\"report-table\">", html);
        Assert.Contains("<li>num_train_steps=20 beats no pre-training: ", html);
    }
}
