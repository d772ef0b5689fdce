using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;

namespace ElectraLab.Storage.Tests;

[Trait("Category", "Storage")]
public sealed class ReadModelTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly string[] GlueTasks = ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte"];

    [SkippableFact]
    public async Task Leaderboard_MediansOverSeeds_AreComputedFromRawRows()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id, "medians");
        var rows = new List<EvaluationResultRow>();
        var expected = new Dictionary<string, double>();
        var ranges = new Dictionary<string, SeedRange>();
        var random = new Random(7);
        foreach (var task in GlueTasks)
        {
            var metric = task switch { "cola" => "mcc", "stsb" => "spearman", _ => "accuracy" };
            // An older checkpoint's results must be ignored in favour of the latest one.
            rows.Add(new(experiment.Id, 500, task, metric, 1, 0.01));
            var seeds = task == "rte" ? 4 : 5;
            var values = Enumerable.Range(0, seeds).Select(_ => Math.Round(random.NextDouble(), 4)).ToArray();
            for (var seed = 0; seed < seeds; seed++)
            {
                rows.Add(new(experiment.Id, 1_000, task, metric, seed, values[seed]));
                rows.Add(new(experiment.Id, 1_000, task, "f1", seed, 0.99));
            }
            var sorted = values.Order().ToArray();
            expected[task] = seeds % 2 == 1 ? sorted[seeds / 2] : (sorted[seeds / 2 - 1] + sorted[seeds / 2]) / 2;
            ranges[task] = new SeedRange(sorted[0], sorted[^1], seeds);
        }
        var store = new EvaluationResultStore(database.DataSource);
        await store.AddAsync(rows);
        await store.AddAsync(rows);

        var page = await new LeaderboardQueries(database.DataSource).GetAsync(new LeaderboardQuery(team.Id, Benchmarks.Glue));

        var row = Assert.Single(page.Items);
        Assert.Equal(1, page.Total);
        foreach (var task in GlueTasks)
        {
            Assert.Equal(expected[task], row.Columns[task], 9);
            // The seeds' spread of the same (latest) checkpoint; the older checkpoint's 0.01 is not in it.
            Assert.Equal(ranges[task], row.SeedRanges[task]);
        }
        Assert.Equal(expected.Values.Average(), row.Score!.Value, 9);
        Assert.Equal(8, row.ColumnsReported);
    }

    [SkippableFact]
    public async Task Leaderboard_FiltersSortsAndPages()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var store = new EvaluationResultStore(database.DataSource);
        for (var i = 0; i < 5; i++)
        {
            var experiment = await database.AddExperimentAsync(team.Id, $"squad-{i}",
                objective: i % 2 == 0 ? "electra" : "mlm", tags: i < 3 ? ["base"] : []);
            await store.AddAsync([
                new(experiment.Id, 10, "squad1", "f1", 0, 80 + i),
                new(experiment.Id, 10, "squad1", "em", 0, 70 + i),
            ]);
        }
        var queries = new LeaderboardQueries(database.DataSource);

        var electra = await queries.GetAsync(new LeaderboardQuery(team.Id, Benchmarks.Squad1, Objective: "electra"));
        var tagged = await queries.GetAsync(new LeaderboardQuery(team.Id, Benchmarks.Squad1, Tag: "base", SortBy: "em",
            Descending: false, Offset: 1, Limit: 1));

        Assert.Equal(["squad-4", "squad-2", "squad-0"], electra.Items.Select(r => r.Name));
        Assert.Equal(84, electra.Items[0].Score);
        Assert.Equal(3, tagged.Total);
        Assert.Equal("squad-1", Assert.Single(tagged.Items).Name);
    }

    [SkippableFact]
    public async Task MetricSeries_DownsamplesIntoBucketsWithMinMaxLast()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        await using (var writer = new MetricWriter(database.DataSource, new StorageOptions { ConnectionString = database.ConnectionString }))
        {
            for (var step = 0; step < 10_000; step++)
            {
                writer.Write(new MetricPoint(experiment.Id, "loss", step, Math.Sin(step), null, DateTimeOffset.UtcNow));
            }
        }

        var buckets = await new MetricSeriesQueries(database.DataSource).GetAsync(team.Id, experiment.Id, "loss", 100);

        Assert.Equal(100, buckets.Count);
        for (var b = 0; b < 100; b++)
        {
            var steps = Enumerable.Range(b * 100, 100).ToArray();
            Assert.Equal(steps[0], buckets[b].FirstStep);
            Assert.Equal(steps[^1], buckets[b].LastStep);
            Assert.Equal(100, buckets[b].Count);
            Assert.Equal(steps.Min(s => Math.Sin(s)), buckets[b].Min, 12);
            Assert.Equal(steps.Max(s => Math.Sin(s)), buckets[b].Max, 12);
            Assert.Equal(Math.Sin(steps[^1]), buckets[b].Last, 12);
        }
        var window = await new MetricSeriesQueries(database.DataSource).GetAsync(team.Id, experiment.Id, "loss", 7,
            fromStep: 50, toStep: 59);
        Assert.Equal(10, window.Sum(b => b.Count));
        Assert.True(window.Count <= 7);
    }

    [SkippableFact]
    public async Task MetricSeries_OverALongCurve_UsesRollupsAndMatchesThePoints()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id);
        const int steps = 200_000;
        double Value(long step) => Math.Sin(step * 0.001) + (step % 7) * 0.01;
        await using (var writer = new MetricWriter(database.DataSource, new StorageOptions { ConnectionString = database.ConnectionString }))
        {
            for (var step = 0; step < steps; step++)
            {
                writer.Write(new MetricPoint(experiment.Id, "loss", step, Value(step), null, DateTimeOffset.UtcNow));
            }
            // Replayed points must not disturb the rollups.
            for (var step = 150_000; step < 160_000; step++)
            {
                writer.Write(new MetricPoint(experiment.Id, "loss", step, 100, null, DateTimeOffset.UtcNow));
            }
        }
        var queries = new MetricSeriesQueries(database.DataSource);

        foreach (var (from, to, count) in new (long?, long?, int)[] { (null, null, 50), (1_000, 150_500, 40) })
        {
            var buckets = await queries.GetAsync(team.Id, experiment.Id, "loss", count, from, to);

            var lo = from ?? 0;
            var hi = to ?? steps - 1;
            Assert.InRange(buckets.Count, count / 2, count);
            Assert.Equal(hi - lo + 1, buckets.Sum(b => b.Count));
            Assert.Equal(lo, buckets[0].FirstStep);
            Assert.Equal(hi, buckets[^1].LastStep);
            for (var b = 0; b < buckets.Count; b++)
            {
                var bucket = buckets[b];
                if (b > 0)
                {
                    Assert.Equal(buckets[b - 1].LastStep + 1, bucket.FirstStep);
                }
                var values = Enumerable.Range(0, (int)(bucket.LastStep - bucket.FirstStep + 1))
                    .Select(i => Value(bucket.FirstStep + i)).ToArray();
                Assert.Equal(values.Length, bucket.Count);
                Assert.Equal(values.Min(), bucket.Min, 12);
                Assert.Equal(values.Max(), bucket.Max, 12);
                Assert.Equal(values[^1], bucket.Last, 12);
            }
        }
    }

    [SkippableFact]
    public async Task EveryReadModel_HidesOtherTeamsRows()
    {
        database.SkipIfUnavailable();
        var teamA = await database.AddTeamAsync();
        var teamB = await database.AddTeamAsync();
        var a = await database.AddExperimentAsync(teamA.Id, "shared-name", tags: ["x"], notes: "secret plan",
            config: """{"lr":0.001}""");
        var b = await database.AddExperimentAsync(teamB.Id, "shared-name", tags: ["x"], notes: "secret plan",
            config: """{"lr":0.002}""");
        await new EvaluationResultStore(database.DataSource).AddAsync([
            new(a.Id, 1, "squad1", "f1", 0, 90), new(b.Id, 1, "squad1", "f1", 0, 10),
        ]);
        await using (var writer = new MetricWriter(database.DataSource, new StorageOptions { ConnectionString = database.ConnectionString }))
        {
            writer.Write(new MetricPoint(a.Id, "loss", 1, 1, null, DateTimeOffset.UtcNow));
            writer.Write(new MetricPoint(b.Id, "loss", 1, 2, null, DateTimeOffset.UtcNow));
        }

        var leaderboard = await new LeaderboardQueries(database.DataSource).GetAsync(new LeaderboardQuery(teamA.Id, Benchmarks.Squad1));
        var history = await new ExperimentHistoryQueries(database.DataSource).GetAsync(new ExperimentHistoryQuery(teamA.Id, Search: "secret"));
        var tagged = await new ExperimentHistoryQueries(database.DataSource).GetAsync(new ExperimentHistoryQuery(teamA.Id, Tag: "x"));
        var ownSeries = await new MetricSeriesQueries(database.DataSource).GetAsync(teamA.Id, a.Id, "loss", 10);
        var otherSeries = await new MetricSeriesQueries(database.DataSource).GetAsync(teamA.Id, b.Id, "loss", 10);
        var comparison = await new ExperimentComparisonQueries(database.DataSource).CompareAsync(teamA.Id, [a.Id, b.Id]);

        Assert.Equal(a.Id, Assert.Single(leaderboard.Items).ExperimentId);
        Assert.Equal(a.Id, Assert.Single(history.Items).Id);
        Assert.Equal(a.Id, Assert.Single(tagged.Items).Id);
        Assert.Equal(1, Assert.Single(ownSeries).Last);
        Assert.Empty(otherSeries);
        Assert.Equal(a.Id, Assert.Single(comparison.Experiments).Summary.Id);
        Assert.Empty(comparison.Differences);
    }

    [SkippableFact]
    public async Task History_SearchesNameNotesAndTags_AndPagesNewestFirst()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var first = await database.AddExperimentAsync(team.Id, "electra-small-lr3e-4", notes: "baseline run");
        var second = await database.AddExperimentAsync(team.Id, "mlm-small", tags: ["ablation"]);
        var third = await database.AddExperimentAsync(team.Id, "electra-tiny", notes: "100%_done");
        var queries = new ExperimentHistoryQueries(database.DataSource);

        var byName = await queries.GetAsync(new ExperimentHistoryQuery(team.Id, Search: "ELECTRA"));
        var byNotes = await queries.GetAsync(new ExperimentHistoryQuery(team.Id, Search: "baseline"));
        var byTag = await queries.GetAsync(new ExperimentHistoryQuery(team.Id, Search: "ablation"));
        var literal = await queries.GetAsync(new ExperimentHistoryQuery(team.Id, Search: "%_"));
        var page = await queries.GetAsync(new ExperimentHistoryQuery(team.Id, Offset: 1, Limit: 1));

        Assert.Equal([third.Id, first.Id], byName.Items.Select(e => e.Id));
        Assert.Equal(first.Id, Assert.Single(byNotes.Items).Id);
        Assert.Equal(second.Id, Assert.Single(byTag.Items).Id);
        Assert.Equal(third.Id, Assert.Single(literal.Items).Id);
        Assert.Equal(3, page.Total);
        Assert.Equal(second.Id, Assert.Single(page.Items).Id);
    }

    [SkippableFact]
    public async Task Comparison_ReportsConfigDifferencesAndResults()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var a = await database.AddExperimentAsync(team.Id, "a", config: """{"model":{"hidden":256,"layers":12},"lr":0.0005}""");
        var b = await database.AddExperimentAsync(team.Id, "b", config: """{"model":{"hidden":256,"layers":6},"mask_prob":0.25}""");
        await new EvaluationResultStore(database.DataSource).AddAsync([new(b.Id, 1, "squad2", "f1", 0, 70)]);

        var comparison = await new ExperimentComparisonQueries(database.DataSource).CompareAsync(team.Id, [b.Id, a.Id]);

        Assert.Equal([b.Id, a.Id], comparison.Experiments.Select(e => e.Summary.Id));
        Assert.Equal(["lr", "mask_prob", "model.layers"], comparison.Differences.Select(d => d.Path));
        Assert.Equal(["6", "12"], comparison.Differences.Single(d => d.Path == "model.layers").Values);
        Assert.Equal(70, Assert.Single(comparison.Experiments[0].Results).Score);
        Assert.Empty(comparison.Experiments[1].Results);
    }
}
