using ElectraLab.Api.Auth;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Api.Endpoints;

public sealed record LeaderboardColumn(string Name, string Task, string Metric, bool InScore);

public sealed record Leaderboard(string Benchmark, IReadOnlyList<LeaderboardColumn> Columns, Page<LeaderboardRow> Rows);

/// <summary>One experiment on the compute plot: <see cref="Score"/> is its task set's score (<see cref="TaskSet"/>).</summary>
public sealed record ComputePoint(Guid ExperimentId, string Name, string Objective, double GeneratorSize, string ModelSize, long Params,
    double TrainFlops, double Score, string TaskSet);

public sealed record ComputeView(string Benchmark, IReadOnlyList<ComputePoint> Points);

/// <summary>The team's leaderboard per benchmark (medians over fine-tuning seeds) and its compute view.</summary>
public static class LeaderboardApi
{
    public static RouteGroupBuilder MapLeaderboardApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/leaderboard").WithTags("Leaderboard").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/", GetAsync).WithName("GetLeaderboard")
            .WithSummary("Per-task medians over fine-tuning seeds, benchmark score, train FLOPs and params; filters, sort, paging");
        group.MapGet("/compute", ComputeAsync).WithName("GetComputeView")
            .WithSummary("Score against train FLOPs for every scored experiment: which objective wins at equal compute");
        return group;
    }

    public static async Task<Results<Ok<Leaderboard>, ValidationProblem>> GetAsync(HttpContext context, LeaderboardQueries queries,
        string benchmark = Benchmarks.Glue, string? objective = null, string? tag = null, string? status = null, string sort = "score",
        bool desc = true, int offset = 0, int limit = 50, CancellationToken cancellationToken = default)
    {
        if (!Benchmarks.Exists(benchmark)) return ApiProblems.Field("benchmark", "must be one of glue, squad1, squad2");
        var columns = Benchmarks.For(benchmark).Select(c => new LeaderboardColumn(c.Column, c.Task, c.Metric, c.InScore)).ToList();
        if (!IsSortable(sort, columns)) return ApiProblems.Field("sort", $"cannot sort the {benchmark} leaderboard by '{sort}'");
        if (offset < 0) return ApiProblems.Field("offset", "must be zero or more");
        if (limit is < 1 or > 500) return ApiProblems.Field("limit", "must be between 1 and 500");
        var caller = Caller.From(context.User);
        var rows = await queries.GetAsync(new LeaderboardQuery(caller.Team, benchmark, tag, objective, status, sort, desc, offset, limit),
            cancellationToken);
        return TypedResults.Ok(new Leaderboard(benchmark, columns, rows));
    }

    public static async Task<Results<Ok<ComputeView>, ValidationProblem>> ComputeAsync(HttpContext context, LeaderboardQueries queries,
        string benchmark = Benchmarks.Glue, string? objective = null, string? tag = null, CancellationToken cancellationToken = default)
    {
        if (!Benchmarks.Exists(benchmark)) return ApiProblems.Field("benchmark", "must be one of glue, squad1, squad2");
        var caller = Caller.From(context.User);
        var rows = await queries.GetAsync(new LeaderboardQuery(caller.Team, benchmark, tag, objective, SortBy: "train_flops",
            Descending: false, Limit: 500), cancellationToken);
        // Every experiment with a score over the tasks it has, not only those with every task of the benchmark.
        var points = rows.Items.Where(r => r.TaskSetScore is not null)
            .Select(r => new ComputePoint(r.ExperimentId, r.Name, r.Objective, r.GeneratorSize, r.ModelSize, r.Params, r.TrainFlops,
                r.TaskSetScore!.Value, r.TaskSet))
            .ToList();
        return TypedResults.Ok(new ComputeView(benchmark, points));
    }

    private static readonly string[] SortColumns = ["score", "params", "train_flops", "generator_size", "created_at", "name"];

    private static bool IsSortable(string sort, IEnumerable<LeaderboardColumn> columns) =>
        SortColumns.Contains(sort, StringComparer.OrdinalIgnoreCase) || columns.Any(c => c.Name == sort);
}
