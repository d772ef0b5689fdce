using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Api.Auth;
using ElectraLab.Api.Caching;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Storage;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Queries;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ElectraLab.Api.Endpoints;

public sealed record JobView(Guid Id, string Kind, string? Task, long? CheckpointStep, string Status, int Attempt, string? Silo,
    string? Device, DateTimeOffset QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error);

public sealed record ResultView(string Task, string Metric, long CheckpointStep, int Seed, double Value);

public sealed record CheckpointView(Guid Id, long Step, string Kind, long Bytes, string Sha256, DateTimeOffset CreatedAt, string Download);

public sealed record ExperimentDetails(ExperimentSummary Summary, long Seed, JsonNode? Config, IReadOnlyList<JobView> Jobs,
    IReadOnlyList<ResultView> Results, IReadOnlyList<BenchmarkResult> Benchmarks, IReadOnlyList<CheckpointView> Checkpoints,
    ExperimentData? Data = null);

public sealed record ExperimentPatch(string? Notes, string[]? Tags);

public sealed record ForkRequest(string? Name, JsonObject? Overrides);

public sealed record ForkCreated(Guid ExperimentId, Guid SweepId, Guid ParentExperimentId);

public sealed record MetricSeries(string Name, IReadOnlyList<MetricBucket> Buckets);

public sealed record ExperimentEvent(Guid ExperimentId, string Status, long Step, double TrainFlops, DateTimeOffset UpdatedAt);

/// <summary>Experiments: history, details, notes and tags, forks, comparison, metric curves and live updates.</summary>
public static class ExperimentsApi
{
    private static readonly string[] DefaultCurves = ["mlm_loss", "disc_loss"];
    private const int MaxTags = 32;
    private const int MaxNotes = 10_000;

    public static RouteGroupBuilder MapExperimentsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/experiments").WithTags("Experiments").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/", ListAsync).WithName("ListExperiments")
            .WithSummary("The team's experiments; filters: status, objective, tag, text, sweep; sort: created_at, name, status, objective, " +
                         "params, train_flops, generator_size ('-' first: descending; default -created_at); paging: offset, limit")
            .WithCachedReads();
        group.MapGet("/compare", CompareAsync).WithName("CompareExperiments").WithSummary("Config differences and results of experiments");
        group.MapGet("/events", ListEvents).WithName("ExperimentListEvents")
            .WithSummary("The list's page (same filters, sort and paging as GET /api/experiments) as server-sent events whenever it changes");
        group.MapGet("/latest-metrics", LatestMetricsAsync).WithName("LatestExperimentMetrics")
            .WithSummary("The newest value of each named metric for each experiment: ids=a,b&names=disc_loss,mlm_loss (another team's ids are absent)");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetExperiment").WithSummary("Config, status, jobs, results and checkpoints")
            .WithCachedReads();
        group.MapPatch("/{id:guid}", PatchAsync).WithName("UpdateExperiment").WithSummary("Set an experiment's notes and/or tags");
        group.MapPost("/{id:guid}/fork", ForkAsync).WithName("ForkExperiment")
            .WithSummary("A new experiment from this one's config with overrides, parent recorded");
        group.MapGet("/{id:guid}/metrics", MetricsAsync).WithName("GetExperimentMetrics").WithSummary("Downsampled metric curves");
        group.MapGet("/{id:guid}/metric-names", MetricNamesAsync).WithName("GetExperimentMetricNames")
            .WithSummary("The names of the experiment's metric series");
        group.MapGet("/{id:guid}/events", Events).WithName("ExperimentEvents")
            .WithSummary("Server-Sent Events: the experiment's status and step whenever they change, until it finishes");
        return group;
    }

    public static async Task<Results<Ok<Page<ExperimentSummary>>, ValidationProblem>> ListAsync(HttpContext context,
        ExperimentHistoryQueries history, string? status = null, string? objective = null, string? tag = null, string? text = null,
        Guid? sweep = null, string? sort = null, int offset = 0, int limit = 50, CancellationToken cancellationToken = default)
    {
        sort ??= ExperimentHistoryQueries.DefaultSort;
        if (!ExperimentHistoryQueries.IsSortable(sort))
        {
            return ApiProblems.Field("sort", $"must be one of {string.Join(", ", ExperimentHistoryQueries.SortColumns.Keys)}, '-' first for descending");
        }
        if (offset < 0) return ApiProblems.Field("offset", "must be zero or more");
        if (limit is < 1 or > 500) return ApiProblems.Field("limit", "must be between 1 and 500");
        var caller = Caller.From(context.User);
        var page = await history.GetAsync(new ExperimentHistoryQuery(caller.Team, text, objective, status, tag, sweep,
            Offset: offset, Limit: limit, Sort: sort), cancellationToken);
        return TypedResults.Ok(page);
    }

    public static async Task<Results<Ok<ExperimentDetails>, NotFound>> GetAsync(Guid id, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, ExperimentComparisonQueries comparisons, CheckpointStore checkpoints,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        var compared = await comparisons.CompareAsync(caller.Team, [id], cancellationToken);
        if (compared.Experiments.Count == 0) return TypedResults.NotFound();
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var row = await db.Experiments.AsNoTracking().Where(e => e.Id == id && e.TeamId == caller.Team)
            .Select(e => new { e.Config, e.Seed }).SingleOrDefaultAsync(cancellationToken);
        if (row is null) return TypedResults.NotFound();
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.ExperimentId == id).OrderBy(j => j.QueuedAt)
            .Select(j => new JobView(j.Id, j.Kind, j.Task, j.CheckpointStep, j.Status, j.Attempt, j.Silo, j.Device, j.QueuedAt,
                j.StartedAt, j.FinishedAt, j.Error))
            .ToListAsync(cancellationToken);
        var results = await db.EvaluationResults.AsNoTracking().Where(r => r.ExperimentId == id)
            .OrderBy(r => r.Task).ThenBy(r => r.Metric).ThenBy(r => r.CheckpointStep).ThenBy(r => r.Seed)
            .Select(r => new ResultView(r.Task, r.Metric, r.CheckpointStep, r.Seed, r.Value))
            .ToListAsync(cancellationToken);
        var saved = (await checkpoints.ListAsync(id, cancellationToken))
            .Select(c => new CheckpointView(c.Id, c.Step, c.Kind, c.Bytes, Convert.ToHexStringLower(c.Sha256), c.CreatedAt,
                $"/api/checkpoints/{c.Id}"))
            .ToList();
        var experiment = compared.Experiments[0];
        return TypedResults.Ok(new ExperimentDetails(experiment.Summary, row.Seed, JsonNode.Parse(row.Config), jobs, results,
            experiment.Results, saved, experiment.Data));
    }

    public static async Task<Results<Ok<ExperimentSummary>, NotFound, ValidationProblem>> PatchAsync(Guid id, ExperimentPatch patch,
        HttpContext context, IDbContextFactory<ElectraLabDbContext> dbs, ExperimentComparisonQueries comparisons,
        CancellationToken cancellationToken)
    {
        if (patch.Notes is { Length: > MaxNotes }) return ApiProblems.Field("notes", $"must be at most {MaxNotes} characters");
        if (patch.Tags is { } tags)
        {
            if (tags.Length > MaxTags) return ApiProblems.Field("tags", $"at most {MaxTags} tags");
            for (var i = 0; i < tags.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(tags[i]) || tags[i].Length > 64)
                    return ApiProblems.Field($"tags[{i}]", "must be 1 to 64 characters");
            }
        }
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var experiment = await db.Experiments.SingleOrDefaultAsync(e => e.Id == id && e.TeamId == caller.Team, cancellationToken);
        if (experiment is null) return TypedResults.NotFound();
        if (patch.Notes is not null) experiment.Notes = patch.Notes.Length == 0 ? null : patch.Notes;
        if (patch.Tags is not null) experiment.Tags = patch.Tags.Select(t => t.Trim()).Distinct(StringComparer.Ordinal).ToArray();
        experiment.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellationToken);
        var updated = await comparisons.CompareAsync(caller.Team, [id], cancellationToken);
        return TypedResults.Ok(updated.Experiments[0].Summary);
    }

    /// <summary>
    /// A fork is a one-experiment sweep submitted through the sweep grain: the parent's sweep spec (evaluations,
    /// checkpoints, workload) with the parent's resolved config plus the overrides as its base, at the parent's seed.
    /// The new experiment row then records its parent.
    /// </summary>
    public static async Task<Results<Created<ForkCreated>, NotFound, ValidationProblem>> ForkAsync(Guid id, ForkRequest? request,
        HttpContext context, IClusterClient cluster, IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var parent = await db.Experiments.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.TeamId == caller.Team, cancellationToken);
        if (parent is null) return TypedResults.NotFound();
        var team = await db.Teams.Where(t => t.Id == caller.Team).Select(t => t.Name).SingleAsync(cancellationToken);
        var specJson = parent.SweepId is { } sweepId
            ? await db.Sweeps.Where(s => s.Id == sweepId).Select(s => s.Spec).SingleOrDefaultAsync(cancellationToken)
            : null;
        var template = specJson is null ? null : JsonSerializer.Deserialize<SweepSpec>(specJson);

        var config = JsonNode.Parse(parent.Config) as JsonObject ?? [];
        // Set again by the expander from the fork's own seeds and checkpoint settings.
        foreach (var key in new[] { "seed", "save_checkpoints_steps", "keep_checkpoint_max" }) config.Remove(key);
        foreach (var (key, value) in request?.Overrides ?? [])
        {
            if (key == "seed") return ApiProblems.Field("overrides.seed", "a fork keeps its parent's seed");
            config[key] = value?.DeepClone();
        }
        // "<parent>-fork-<n>", n counting the parent's forks, unless a name is given. The expander would add "/seed=n"
        // to a one-experiment sweep's name; the row gets the fork's own name below.
        var forks = await db.Experiments.CountAsync(e => e.ParentExperimentId == id, cancellationToken);
        var name = string.IsNullOrWhiteSpace(request?.Name) ? $"{parent.Name}-fork-{forks + 1}" : request.Name.Trim();
        var spec = new SweepSpec(name, team, config.ToJsonString(), SearchSpace.None, [parent.Seed],
            template?.FinetuneSeeds ?? [SweepDefaults.FinetuningSeed], template?.Evaluations ?? EvaluationSpec.None,
            template?.Priority ?? SweepDefaults.Priority, EarlyStopping: null, template?.Checkpoints ?? SweepDefaults.Checkpoints,
            template?.MaxAttempts ?? SweepDefaults.MaxAttempts,
            template?.Workload ?? WorkloadSpec.Default);

        SweepSubmission submission;
        try
        {
            submission = await cluster.GetGrain<ISweepGrain>(Guid.CreateVersion7()).SubmitAsync(spec);
        }
        catch (SweepSpecException e)
        {
            var field = e.Field.StartsWith("base.", StringComparison.Ordinal) ? $"overrides.{e.Field[5..]}" : e.Field;
            return ApiProblems.Field(field, e.Problem, "The fork cannot run.");
        }
        var child = submission.ExperimentIds.Single();
        await db.Experiments.Where(e => e.Id == child && e.TeamId == caller.Team)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.ParentExperimentId, id).SetProperty(e => e.Name, name), cancellationToken);
        return TypedResults.Created($"/api/experiments/{child}", new ForkCreated(child, submission.SweepId, id));
    }

    public static async Task<Results<Ok<ExperimentComparison>, ValidationProblem>> CompareAsync(HttpContext context,
        ExperimentComparisonQueries comparisons, string? ids = null, CancellationToken cancellationToken = default)
    {
        var parsed = new List<Guid>();
        foreach (var part in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Guid.TryParse(part, out var id)) return ApiProblems.Field("ids", $"'{part}' is not an experiment id");
            parsed.Add(id);
        }
        if (parsed.Count is < 1 or > 20) return ApiProblems.Field("ids", "name 1 to 20 experiment ids, comma-separated");
        var caller = Caller.From(context.User);
        // Another team's ids are simply absent from the comparison: nothing about them is revealed.
        return TypedResults.Ok(await comparisons.CompareAsync(caller.Team, parsed, cancellationToken));
    }

    /// <summary>
    /// The runs table, pushed: the page now and again whenever anything on it changes (states, FLOPs, new runs), for as
    /// long as the client stays. The server reads the page every EventPollInterval; the browser never polls.
    /// </summary>
    public static Results<ServerSentEventsResult<Page<ExperimentSummary>>, ValidationProblem> ListEvents(HttpContext context,
        ExperimentHistoryQueries history, IOptions<ApiOptions> options, string? status = null, string? objective = null, string? tag = null,
        string? text = null, Guid? sweep = null, string? sort = null, int offset = 0, int limit = 50)
    {
        sort ??= ExperimentHistoryQueries.DefaultSort;
        if (!ExperimentHistoryQueries.IsSortable(sort))
        {
            return ApiProblems.Field("sort", $"must be one of {string.Join(", ", ExperimentHistoryQueries.SortColumns.Keys)}, '-' first for descending");
        }
        if (offset < 0) return ApiProblems.Field("offset", "must be zero or more");
        if (limit is < 1 or > 500) return ApiProblems.Field("limit", "must be between 1 and 500");
        var query = new ExperimentHistoryQuery(Caller.From(context.User).Team, text, objective, status, tag, sweep, Offset: offset, Limit: limit, Sort: sort);
        return TypedResults.ServerSentEvents(ChangeStream.FollowAsync<Page<ExperimentSummary>>(
            async ct => await history.GetAsync(query, ct), "page", options.Value.EventPollInterval, null, context.RequestAborted));
    }

    public static async Task<Results<Ok<IReadOnlyDictionary<Guid, Dictionary<string, double>>>, ValidationProblem>> LatestMetricsAsync(
        HttpContext context, MetricSeriesQueries series, string? ids = null, string? names = null, CancellationToken cancellationToken = default)
    {
        var parsed = new List<Guid>();
        foreach (var part in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Guid.TryParse(part, out var id)) return ApiProblems.Field("ids", $"'{part}' is not an experiment id");
            parsed.Add(id);
        }
        if (parsed.Count is 0 or > 500) return ApiProblems.Field("ids", "between 1 and 500 experiment ids");
        var wanted = (names ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        if (wanted.Length is 0 or > 20) return ApiProblems.Field("names", "between 1 and 20 metric names");
        return TypedResults.Ok(await series.LatestAsync(Caller.From(context.User).Team, [.. parsed], wanted, cancellationToken));
    }

    public static async Task<Results<Ok<IReadOnlyList<string>>, NotFound>> MetricNamesAsync(Guid id, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, MetricSeriesQueries series, CancellationToken cancellationToken = default)
    {
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Experiments.AnyAsync(e => e.Id == id && e.TeamId == caller.Team, cancellationToken)) return TypedResults.NotFound();
        return TypedResults.Ok(await series.NamesAsync(id, cancellationToken));
    }

    public static async Task<Results<Ok<IReadOnlyList<MetricSeries>>, NotFound, ValidationProblem>> MetricsAsync(Guid id,
        HttpContext context, IDbContextFactory<ElectraLabDbContext> dbs, MetricSeriesQueries series, string? names = null,
        int buckets = 200, long? from = null, long? to = null, CancellationToken cancellationToken = default)
    {
        if (buckets is < 1 or > 5000) return ApiProblems.Field("buckets", "must be between 1 and 5000");
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Experiments.AnyAsync(e => e.Id == id && e.TeamId == caller.Team, cancellationToken)) return TypedResults.NotFound();
        var wanted = names?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? DefaultCurves;
        if (wanted.Length > 20) return ApiProblems.Field("names", "at most 20 metric names");
        var result = new List<MetricSeries>();
        foreach (var name in wanted)
        {
            result.Add(new MetricSeries(name, await series.GetAsync(caller.Team, id, name, buckets, from, to, cancellationToken)));
        }
        return TypedResults.Ok<IReadOnlyList<MetricSeries>>(result);
    }

    public static Results<ServerSentEventsResult<ExperimentEvent>, NotFound> Events(Guid id, HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, IOptions<ApiOptions> options)
    {
        var caller = Caller.From(context.User);
        using (var db = dbs.CreateDbContext())
        {
            if (!db.Experiments.Any(e => e.Id == id && e.TeamId == caller.Team)) return TypedResults.NotFound();
        }
        return TypedResults.ServerSentEvents(Watch(id, caller.Team, dbs, options.Value.EventPollInterval, context.RequestAborted));
    }

    /// <summary>Polls the experiment's row and its newest metric step; yields on change and ends after a final state.</summary>
    private static async IAsyncEnumerable<SseItem<ExperimentEvent>> Watch(Guid id, Guid team, IDbContextFactory<ElectraLabDbContext> dbs,
        TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ExperimentEvent? last = null;
        using var timer = new PeriodicTimer(interval);
        while (!cancellationToken.IsCancellationRequested)
        {
            await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
            {
                var row = await db.Experiments.AsNoTracking().Where(e => e.Id == id && e.TeamId == team)
                    .Select(e => new { e.Status, e.TrainFlops, e.UpdatedAt }).SingleOrDefaultAsync(cancellationToken);
                if (row is null) yield break;
                // The rollups carry every written point's block, so the newest step is read from a few rows, not the whole curve.
                var step = await db.MetricRollups.Where(m => m.ExperimentId == id).MaxAsync(m => (long?)m.LastStep, cancellationToken) ?? 0;
                var current = new ExperimentEvent(id, row.Status, step, row.TrainFlops, row.UpdatedAt);
                if (current != last)
                {
                    yield return new SseItem<ExperimentEvent>(current, "status");
                    last = current;
                }
                if (ExperimentStates.TerminalNames.Contains(row.Status)) yield break;
            }
            if (!await timer.WaitForNextTickAsync(cancellationToken)) yield break;
        }
    }
}
