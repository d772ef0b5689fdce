using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Tests.Support;

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
