using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Tests;

[Trait("Category", "Api")]
public sealed class LeaderboardApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    [SkippableFact]
    public async Task Leaderboard_RanksByMedianScore_WithPerTaskColumns_SortsAndFilters()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "electra-1", trainFlops: 1e17, glue: 0.70);
        await host.SeedExperimentAsync(team.Id, "electra-2", trainFlops: 2e17, glue: 0.80, tags: ["big"]);
        await host.SeedExperimentAsync(team.Id, "mlm-1", objective: "mlm", trainFlops: 1e17, glue: 0.60);
        await host.SeedExperimentAsync(team.Id, "unscored", glue: null);
        using var client = host.Client(team.Key);

        var board = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?benchmark=glue"));
        Assert.Equal(["electra-2", "electra-1", "mlm-1"], board.Rows.Items.Select(r => r.Name));
        Assert.Equal(3, board.Rows.Total);
        Assert.Contains(board.Columns, c => c.Name == "cola" && c.Metric == "mcc");
        var top = board.Rows.Items[0];
        Assert.Equal(0.80, top.Score!.Value, 6);
        Assert.Equal(0.80, top.Columns["cola"], 6); // the median of 0.79, 0.80, 0.81
        Assert.Equal(8, top.ColumnsReported);

        var ascending = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?benchmark=glue&sort=cola&desc=false"));
        Assert.Equal("mlm-1", ascending.Rows.Items[0].Name);
        var mlm = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?objective=mlm"));
        Assert.Equal("mlm-1", Assert.Single(mlm.Rows.Items).Name);
        var big = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?tag=big"));
        Assert.Equal("electra-2", Assert.Single(big.Rows.Items).Name);
        var paged = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?offset=1&limit=1"));
        Assert.Equal("electra-1", Assert.Single(paged.Rows.Items).Name);
        Assert.Empty((await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?benchmark=squad1"))).Rows.Items);

        await Problems.AssertFieldAsync(await client.GetAsync("/api/leaderboard?benchmark=imagenet"), "benchmark");
        await Problems.AssertFieldAsync(await client.GetAsync("/api/leaderboard?sort=colour"), "sort");
        await Problems.AssertFieldAsync(await client.GetAsync("/api/leaderboard?limit=1000"), "limit");
    }

    [SkippableFact]
    public async Task PartialTaskSets_GetAScoreOverTheirTasks_RankedAmongTheirOwnSet_AndAPlaceOnTheComputePlot()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "sst2-a", trainFlops: 1e16, glue: 0.70, glueTasks: ["sst2"]);
        await host.SeedExperimentAsync(team.Id, "sst2-b", objective: "mlm", trainFlops: 2e16, glue: 0.75, glueTasks: ["sst2"]);
        await host.SeedExperimentAsync(team.Id, "three", trainFlops: 3e16, glue: 0.60, glueTasks: ["rte", "sst2", "mrpc"]);
        await host.SeedExperimentAsync(team.Id, "full", trainFlops: 4e16, glue: 0.50);
        using var client = host.Client(team.Key);

        var board = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?benchmark=glue"));
        // The largest task set first; within a set, by its score. The full-GLUE score stays the paper's, null otherwise.
        Assert.Equal(["full", "three", "sst2-b", "sst2-a"], board.Rows.Items.Select(r => r.Name));
        Assert.Equal(["GLUE", "GLUE-3: SST-2, MRPC, RTE", "GLUE-1: SST-2", "GLUE-1: SST-2"], board.Rows.Items.Select(r => r.TaskSet));
        Assert.Equal([1, 1, 1, 2], board.Rows.Items.Select(r => r.TaskSetRank ?? 0));
        Assert.Equal([0.50, 0.60, 0.75, 0.70], board.Rows.Items.Select(r => Math.Round(r.TaskSetScore!.Value, 6)));
        Assert.Equal(0.50, board.Rows.Items[0].Score!.Value, 6);
        Assert.All(board.Rows.Items.Skip(1), r => Assert.Null(r.Score));

        // Ranks cover the filtered board, not the page.
        var second = await ApiHost.ReadAsync<Leaderboard>(await client.GetAsync("/api/leaderboard?benchmark=glue&offset=3&limit=1"));
        Assert.Equal(("sst2-a", 2), (second.Rows.Items.Single().Name, second.Rows.Items.Single().TaskSetRank ?? 0));

        var view = await ApiHost.ReadAsync<ComputeView>(await client.GetAsync("/api/leaderboard/compute?benchmark=glue"));
        Assert.Equal(["sst2-a", "sst2-b", "three", "full"], view.Points.Select(p => p.Name));
        Assert.Equal("GLUE-1: SST-2", view.Points[0].TaskSet);
        Assert.Equal(0.75, view.Points[1].Score, 6);
    }

    [SkippableFact]
    public async Task ComputeView_DrawsMilestoneEvaluationsAsCurves_ForTheScoreOrAnyTask()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var run = await host.SeedExperimentAsync(team.Id, "milestoned", trainFlops: 3e15, glue: null);
        await using (var db = host.CreateContext())
        {
            var row = await db.Experiments.SingleAsync(e => e.Id == run.Id);
            row.Config = """{"model_size":"small","num_train_steps":300}""";
            await db.SaveChangesAsync();
        }
        var rows = new List<Storage.Results.EvaluationResultRow>();
        foreach (var (step, sst2, rte) in new[] { (100L, 0.60, 0.50), (200L, 0.70, 0.54), (300L, 0.80, 0.58) })
        {
            for (var seed = 1; seed <= 3; seed++)
            {
                rows.Add(new(run.Id, step, "sst2", "accuracy", seed, sst2 + (seed - 2) * 0.01));
                rows.Add(new(run.Id, step, "rte", "accuracy", seed, rte));
            }
        }
        await host.Service<Storage.Results.EvaluationResultStore>().AddAsync(rows);
        using var client = host.Client(team.Key);

        var score = await ApiHost.ReadAsync<ComputeView>(await client.GetAsync("/api/leaderboard/compute?benchmark=glue"));
        var point = Assert.Single(score.Points);
        Assert.Equal((3e15, 0.69, "GLUE-2: SST-2, RTE"), (point.TrainFlops, Math.Round(point.Score, 6), point.TaskSet));
        var curve = Assert.Single(score.Curves!);
        Assert.Equal([1e15, 2e15, 3e15], curve.Points.Select(p => p.TrainFlops));
        Assert.Equal([0.55, 0.62, 0.69], curve.Points.Select(p => Math.Round(p.Value, 6)));

        var sst2Only = await ApiHost.ReadAsync<ComputeView>(await client.GetAsync("/api/leaderboard/compute?benchmark=glue&y=sst2"));
        Assert.Equal("sst2", sst2Only.Y);
        Assert.Equal([0.60, 0.70, 0.80], Assert.Single(sst2Only.Curves!).Points.Select(p => Math.Round(p.Value, 6)));
        Assert.Empty((await ApiHost.ReadAsync<ComputeView>(await client.GetAsync("/api/leaderboard/compute?benchmark=glue&y=cola"))).Points);
        await Problems.AssertFieldAsync(await client.GetAsync("/api/leaderboard/compute?y=colour"), "y");
    }

    [SkippableFact]
    public async Task ComputeView_PlotsScoreAgainstTrainFlops()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        await host.SeedExperimentAsync(team.Id, "small-compute", trainFlops: 1e16, glue: 0.6);
        await host.SeedExperimentAsync(team.Id, "large-compute", trainFlops: 1e18, glue: 0.8);
        using var client = host.Client(team.Key);
        var view = await ApiHost.ReadAsync<ComputeView>(await client.GetAsync("/api/leaderboard/compute?benchmark=glue"));
        Assert.Equal(["small-compute", "large-compute"], view.Points.Select(p => p.Name));
        Assert.Equal([1e16, 1e18], view.Points.Select(p => p.TrainFlops));
    }
}
