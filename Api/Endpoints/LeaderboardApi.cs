using ElectraLab.Api.Auth;
using ElectraLab.Api.Caching;
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

/// <summary>One checkpoint's evaluation on an experiment's compute curve.</summary>
public sealed record CurvePoint(long Step, double TrainFlops, double Value);

/// <summary>An experiment evaluated at several checkpoints (FLOP milestones): its value against train FLOPs.</summary>
public sealed record ComputeCurveView(Guid ExperimentId, string Name, string Objective, IReadOnlyList<CurvePoint> Points);

/// <summary>
/// <see cref="Y"/> is what the points show: "score" (each experiment's task-set score) or one task column;
/// <see cref="Points"/> are each experiment's latest evaluation, <see cref="Curves"/> the runs evaluated more than once.
/// </summary>
public sealed record ComputeView(string Benchmark, IReadOnlyList<ComputePoint> Points, string Y = "score",
    IReadOnlyList<ComputeCurveView>? Curves = null);

/// <summary>The team's leaderboard per benchmark (medians over fine-tuning seeds) and its compute view.</summary>
public static class LeaderboardApi
{
    public static RouteGroupBuilder MapLeaderboardApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/leaderboard").WithTags("Leaderboard").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/", GetAsync).WithName("GetLeaderboard")
            .WithSummary("Per-task medians over fine-tuning seeds, benchmark score, train FLOPs and params; filters, sort, paging")
            .WithCachedReads();
        group.MapGet("/compute", ComputeAsync).WithName("GetComputeView")
            .WithSummary("Score (or one task, y=) against train FLOPs for every evaluated experiment, with curves over FLOP " +
                         "milestones: which objective wins at equal compute");
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

    public static async Task<Results<Ok<ComputeView>, ValidationProblem>> ComputeAsync(HttpContext context, ComputeCurveQueries queries,
        string benchmark = Benchmarks.Glue, string? objective = null, string? tag = null, string y = "score",
        CancellationToken cancellationToken = default)
    {
        if (!Benchmarks.Exists(benchmark)) return ApiProblems.Field("benchmark", "must be one of glue, squad1, squad2");
        var columns = Benchmarks.For(benchmark).ToList();
        if (y != "score" && columns.All(c => c.Column != y))
            return ApiProblems.Field("y", $"must be score or one of {string.Join(", ", columns.Select(c => c.Column))}");
        var caller = Caller.From(context.User);
        var scoreColumns = Benchmarks.ScoreColumns(benchmark);
        var curves = await queries.GetAsync(caller.Team, benchmark, objective, tag, cancellationToken);

        // The value a checkpoint shows: its task-set score (mean of the score columns it has) or the one column asked.
        (double Value, string Label)? ValueOf(ComputeCurvePoint point)
        {
            if (y != "score") return point.Columns.TryGetValue(y, out var v) ? (v, y) : null;
            var present = scoreColumns.Where(point.Columns.ContainsKey).ToList();
            return present.Count == 0 ? null : (present.Average(c => point.Columns[c]), Benchmarks.TaskSetLabel(benchmark, present));
        }

        var points = new List<ComputePoint>();
        var drawn = new List<ComputeCurveView>();
        foreach (var curve in curves)
        {
            var values = curve.Points.Select(p => (Point: p, Value: ValueOf(p))).Where(p => p.Value is not null).ToList();
            if (values.Count == 0) continue;
            var (last, value) = values[^1];
            points.Add(new ComputePoint(curve.ExperimentId, curve.Name, curve.Objective, curve.GeneratorSize, curve.ModelSize, curve.Params,
                last.TrainFlops, value!.Value.Value, value.Value.Label));
            if (values.Count > 1)
            {
                drawn.Add(new ComputeCurveView(curve.ExperimentId, curve.Name, curve.Objective,
                    values.Select(v => new CurvePoint(v.Point.Step, v.Point.TrainFlops, v.Value!.Value.Value)).ToList()));
            }
        }
        return TypedResults.Ok(new ComputeView(benchmark, points.OrderBy(p => p.TrainFlops).ThenBy(p => p.Name, StringComparer.Ordinal).ToList(),
            y, drawn));
    }

    private static readonly string[] SortColumns = ["score", "params", "train_flops", "generator_size", "created_at", "name"];

    private static bool IsSortable(string sort, IEnumerable<LeaderboardColumn> columns) =>
        SortColumns.Contains(sort, StringComparer.OrdinalIgnoreCase) || columns.Any(c => c.Name == sort);
}
