using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Api.Auth;
using ElectraLab.Contracts;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Storage;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ElectraLab.Sweeps;

namespace ElectraLab.Api.Endpoints;

public sealed record SweepCreated(Guid SweepId, IReadOnlyList<Guid> ExperimentIds);

/// <summary>
/// One experiment of a sweep: its live state and step, the steps it is configured to run (for progress), its values on
/// the sweep's axes, its pre-training seed, and its score over the tasks it has (the leaderboard's task-set score).
/// </summary>
public sealed record SweepExperiment(Guid Id, string Name, string Status, long Step, long? TotalSteps, string? Reason,
    IReadOnlyDictionary<string, string>? Axes = null, long Seed = 0, double? Score = null, string? TaskSet = null,
    double StepsPerSecond = 0, double TrainFlops = 0, string? Activity = null, double TokensPerSecond = 0);

/// <summary>A sweep: <see cref="Status"/> is running, completed (something completed), failed (nothing did) or cancelled;
/// <see cref="Counts"/> says how many experiments are in each state.</summary>
public sealed record SweepDetails(Guid Id, string Name, string Status, DateTimeOffset CreatedAt, IReadOnlyList<SweepExperiment> Experiments,
    IReadOnlyDictionary<string, int> Counts, IReadOnlyList<string>? Axes = null, JsonNode? Spec = null);

public sealed record CancelRequest(string? Reason);

/// <summary>A sweep in the list: its state and how many of its experiments are in each state.</summary>
public sealed record SweepSummary(Guid Id, string Name, string Status, DateTimeOffset CreatedAt, int Experiments,
    IReadOnlyDictionary<string, int> Counts);

/// <summary>Sweeps: submitted (JSON or YAML) and cancelled through the sweep grain; read from PostgreSQL.</summary>
public static class SweepsApi
{
    public static RouteGroupBuilder MapSweepsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/sweeps").WithTags("Sweeps").RequireAuthorization(Caller.TeamPolicy);
        group.MapPost("/", SubmitAsync).WithName("SubmitSweep").WithSummary("Submit a sweep spec (application/json or application/yaml)")
            .WithDescription(SpecLimits)
            .Accepts<string>("application/yaml", "application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapGet("/", ListAsync).WithName("ListSweeps")
            .WithSummary("The team's sweeps, newest first; filters: status, text (in the name); paging: offset, limit");
        group.MapGet("/events", ListEvents).WithName("SweepListEvents")
            .WithSummary("The sweep list's page (same filters and paging as GET /api/sweeps) as server-sent events whenever it changes");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetSweep").WithSummary("A sweep and its experiments");
        group.MapGet("/{id:guid}/events", EventsAsync).WithName("SweepEvents")
            .WithSummary("The sweep's details as server-sent events whenever they change, until it finishes");
        group.MapPost("/{id:guid}/cancel", CancelAsync).WithName("CancelSweep").WithSummary("Cancel every unfinished experiment of a sweep");
        return group;
    }

    /// <summary>The limits a spec is read within, as the API docs state them.</summary>
    public const string SpecLimits =
        "A spec is at most MaxSpecBytes (256 KiB by default) and is read within limits: nesting depth 64, 32 YAML aliases, " +
        "10,000 values in all (aliases counted as what they expand to), strings of 4,096 characters, finite numbers, no " +
        "repeated keys; it may expand to at most MaxExperimentsPerSweep experiments (512 by default), counted before " +
        "anything is expanded. Any rejection is a 4xx application/problem+json naming the field, and creates nothing.";

    public static async Task<Results<Created<SweepCreated>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpRequest request, IClusterClient cluster, IDbContextFactory<ElectraLabDbContext> dbs, IOptions<ApiOptions> options,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var caller = Caller.From(request.HttpContext.User);
        var limits = options.Value;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "";
        var yaml = mediaType.Contains("yaml");
        if (!yaml && !mediaType.Contains("json"))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the sweep spec as application/json or application/yaml.", extensions: WholeSpec);
        }
        var text = await ReadCappedAsync(request, limits.MaxSpecBytes, cancellationToken);
        if (text is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Sweep spec too large",
                detail: $"A sweep spec may be at most {limits.MaxSpecBytes} bytes.", extensions: WholeSpec);
        }

        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var team = await db.Teams.Where(t => t.Id == caller.Team).Select(t => t.Name).SingleAsync(cancellationToken);
        SweepSpec spec;
        try
        {
            // Parsing and validation are pure functions of the text, bounded by the loader's limits (depth, aliases,
            // nodes, string length, experiment count), so whatever they throw is the spec's fault.
            spec = yaml ? SweepSpecLoader.FromYaml(text, limits.MaxExperimentsPerSweep) : SweepSpecLoader.FromJson(text, limits.MaxExperimentsPerSweep);
        }
        catch (SweepSpecException e)
        {
            return ApiProblems.Spec(e);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A case the loader does not name yet: still the input's fault, but worth a look (it should be a field error).
            loggers.CreateLogger(typeof(SweepsApi)).LogWarning(e, "A sweep spec failed to parse with {Exception} instead of a field error", e.GetType().Name);
            return ApiProblems.Field("$", "is not a valid sweep spec", "The sweep spec cannot run.");
        }
        if (spec.Team != team) return ApiProblems.Field("team", $"must be your team '{team}'", "The sweep spec cannot run.");

        try
        {
            var submission = await cluster.GetGrain<ISweepGrain>(Guid.CreateVersion7()).SubmitAsync(spec);
            loggers.CreateLogger(TelemetryNames.ActivityLogCategory).LogInformation(
                "Sweep {SweepId} ({Name}) submitted by team {Team}: {Experiments} experiment(s)",
                submission.SweepId, spec.Name, team, submission.ExperimentIds.Length);
            return TypedResults.Created($"/api/sweeps/{submission.SweepId}", new SweepCreated(submission.SweepId, submission.ExperimentIds));
        }
        catch (SweepSpecException e)
        {
            return ApiProblems.Spec(e);
        }
    }

    public static async Task<Results<Ok<Page<SweepSummary>>, ValidationProblem>> ListAsync(HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, string? status = null, string? text = null, int offset = 0, int limit = 50,
        CancellationToken cancellationToken = default)
    {
        if (offset < 0) return ApiProblems.Field("offset", "must be zero or more");
        if (limit is < 1 or > 500) return ApiProblems.Field("limit", "must be between 1 and 500");
        return TypedResults.Ok(await PageAsync(dbs, Caller.From(context.User).Team, status, text, offset, limit, cancellationToken));
    }

    /// <summary>The sweep list pushed: the page now and whenever it changes, for as long as the client stays.</summary>
    public static Results<ServerSentEventsResult<Page<SweepSummary>>, ValidationProblem> ListEvents(HttpContext context,
        IDbContextFactory<ElectraLabDbContext> dbs, IOptions<ApiOptions> options, string? status = null, string? text = null, int offset = 0,
        int limit = 50)
    {
        if (offset < 0) return ApiProblems.Field("offset", "must be zero or more");
        if (limit is < 1 or > 500) return ApiProblems.Field("limit", "must be between 1 and 500");
        var team = Caller.From(context.User).Team;
        return TypedResults.ServerSentEvents(ChangeStream.FollowAsync<Page<SweepSummary>>(
            async ct => await PageAsync(dbs, team, status, text, offset, limit, ct), "page", options.Value.EventPollInterval, null,
            context.RequestAborted));
    }

    private static async Task<Page<SweepSummary>> PageAsync(IDbContextFactory<ElectraLabDbContext> dbs, Guid team, string? status, string? text,
        int offset, int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var sweeps = db.Sweeps.AsNoTracking().Where(s => s.TeamId == team);
        if (!string.IsNullOrWhiteSpace(status)) sweeps = sweeps.Where(s => s.Status == status.Trim());
        if (!string.IsNullOrWhiteSpace(text))
        {
            var pattern = "%" + text.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            sweeps = sweeps.Where(s => EF.Functions.ILike(s.Name, pattern));
        }
        var total = await sweeps.LongCountAsync(cancellationToken);
        var page = await sweeps.OrderByDescending(s => s.CreatedAt).ThenBy(s => s.Id).Skip(offset).Take(limit)
            .Select(s => new { s.Id, s.Name, s.Status, s.CreatedAt }).ToListAsync(cancellationToken);
        var ids = page.Select(s => (Guid?)s.Id).ToList();
        var counts = (await db.Experiments.AsNoTracking().Where(e => e.TeamId == team && ids.Contains(e.SweepId))
                .GroupBy(e => new { e.SweepId, e.Status }).Select(g => new { g.Key.SweepId, g.Key.Status, Count = g.Count() })
                .ToListAsync(cancellationToken))
            .GroupBy(c => c.SweepId!.Value)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(c => c.Status, c => c.Count));
        var items = page.Select(s =>
        {
            var byState = counts.GetValueOrDefault(s.Id) ?? new Dictionary<string, int>();
            return new SweepSummary(s.Id, s.Name, s.Status, s.CreatedAt, byState.Values.Sum(), byState);
        }).ToList();
        return new Page<SweepSummary>(items, total, offset, limit);
    }

    public static async Task<Results<Ok<SweepDetails>, NotFound>> GetAsync(Guid id, HttpContext context, IClusterClient cluster,
        IDbContextFactory<ElectraLabDbContext> dbs, ExperimentHistoryQueries history, CancellationToken cancellationToken)
    {
        var details = await DetailsAsync(id, Caller.From(context.User).Team, cluster, dbs, history, cancellationToken);
        return details is null ? TypedResults.NotFound() : TypedResults.Ok(details);
    }

    /// <summary>
    /// The sweep's details as server-sent events: one "sweep" event now and one whenever anything shown changes (states,
    /// steps, speed, evaluation activity, scores), until the sweep has finished. The pages follow this instead of polling.
    /// </summary>
    public static async Task<Results<ServerSentEventsResult<SweepDetails>, NotFound>> EventsAsync(Guid id, HttpContext context,
        IClusterClient cluster, IDbContextFactory<ElectraLabDbContext> dbs, ExperimentHistoryQueries history, IOptions<ApiOptions> options)
    {
        var team = Caller.From(context.User).Team;
        await using (var db = await dbs.CreateDbContextAsync(context.RequestAborted))
        {
            if (!await db.Sweeps.AnyAsync(s => s.Id == id && s.TeamId == team, context.RequestAborted)) return TypedResults.NotFound();
        }
        return TypedResults.ServerSentEvents(ChangeStream.FollowAsync(ct => DetailsAsync(id, team, cluster, dbs, history, ct), "sweep",
            options.Value.EventPollInterval,
            // A cancelled sweep ends at once but its experiments follow one-way: the stream waits for them too.
            d => d.Status is SweepStatus.Completed or SweepStatus.Failed or SweepStatus.Cancelled
                 && d.Experiments.All(e => ExperimentStates.TerminalNames.Contains(e.Status)),
            context.RequestAborted));
    }

    private static async Task<SweepDetails?> DetailsAsync(Guid id, Guid team, IClusterClient cluster, IDbContextFactory<ElectraLabDbContext> dbs,
        ExperimentHistoryQueries history, CancellationToken cancellationToken)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var sweep = await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.TeamId == team, cancellationToken);
        if (sweep is null) return null;

        var rows = await history.GetAsync(new ExperimentHistoryQuery(team, SweepId: id, Limit: 500), cancellationToken);
        // Planned steps for every experiment in one query (progress bars), read from the resolved configs in SQL.
        var planned = await db.Database
            .SqlQuery<PlannedSteps>($"SELECT id AS \"Id\", (config ->> 'num_train_steps')::bigint AS \"Steps\", seed AS \"Seed\", config::text AS \"Config\" FROM experiments WHERE sweep_id = {id} AND team_id = {team}")
            .ToDictionaryAsync(t => t.Id, cancellationToken);
        var totals = planned.ToDictionary(p => p.Key, p => p.Value.Steps);
        // The swept axes (grid and random keys of the spec) and each experiment's value on them, read from its config.
        var spec = JsonSerializer.Deserialize<SweepSpec>(sweep.Spec);
        var axes = (spec?.Search.Grid.Select(g => g.Key) ?? []).Concat(spec?.Search.Random.Select(r => r.Key) ?? []).Distinct().ToList();
        // Each config read once: its values on the axes, and the tokens a step trains (batch × sequence length) to turn
        // steps/s into tokens/s.
        var configs = planned.ToDictionary(p => p.Key, p => JsonNode.Parse(p.Value.Config) as JsonObject);
        // The search's no-pre-training arm carries the base config's values, so on every axis it reads as what it is.
        bool Baseline(Guid experiment) => spec?.Search.Baseline == true && totals[experiment] == 0;
        var values = configs.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<string, string>)axes.ToDictionary(a => a,
            a => Baseline(c.Key) ? "no pre-training"
                : c.Value?[a] is JsonValue v && v.TryGetValue<string>(out var text) ? text : c.Value?[a]?.ToJsonString() ?? ""));
        var tokensPerStep = configs.ToDictionary(c => c.Key,
            c => (double?)c.Value?["train_batch_size"] * (double?)c.Value?["max_seq_length"] ?? 0);
        var scores = await TaskSetScoresAsync(db, [.. planned.Keys], cancellationToken);

        var live = await cluster.GetGrain<ISweepGrain>(id).GetStatusAsync();
        var byId = live.Experiments.ToDictionary(e => e.ExperimentId);
        var experiments = rows.Items.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e =>
            {
                var score = scores.GetValueOrDefault(e.Id);
                var seed = planned.TryGetValue(e.Id, out var p) ? p.Seed : 0;
                return byId.TryGetValue(e.Id, out var s)
                    ? new SweepExperiment(e.Id, e.Name, s.State.ToStorageName(), s.Step, totals.GetValueOrDefault(e.Id), s.Reason,
                        values.GetValueOrDefault(e.Id), seed, score.Score, score.TaskSet, s.StepsPerSecond, s.TrainFlops, Activity(s),
                        s.StepsPerSecond * tokensPerStep.GetValueOrDefault(e.Id))
                    : new SweepExperiment(e.Id, e.Name, e.Status, 0, totals.GetValueOrDefault(e.Id), null, values.GetValueOrDefault(e.Id), seed,
                        score.Score, score.TaskSet);
            })
            .ToList();
        var status = live.State == SweepStatus.NotSubmitted ? sweep.Status : live.State;
        var counts = experiments.GroupBy(e => e.Status)
            .ToDictionary(g => g.Key, g => g.Count());
        return new SweepDetails(sweep.Id, sweep.Name, status, sweep.CreatedAt, experiments, counts, axes, JsonNode.Parse(sweep.Spec));
    }

    /// <summary>What an experiment's running jobs are doing: "SST-2 seed 2/5: train 120/800; RTE seed 1/5: eval 40/277".</summary>
    private static string? Activity(ExperimentStatus status)
    {
        var running = status.Jobs.Where(j => j.State == JobState.Running && j.Kind == JobKind.FinetuneEval)
            .Select(j => j.Detail ?? $"{j.Task}: starting").ToList();
        return running.Count == 0 ? null : string.Join("; ", running);
    }

    /// <summary>Each experiment's GLUE task-set score (the mean of the score columns it reported) and the set's label.</summary>
    private static async Task<Dictionary<Guid, (double? Score, string? TaskSet)>> TaskSetScoresAsync(ElectraLabDbContext db, Guid[] ids,
        CancellationToken cancellationToken)
    {
        var entries = await db.LeaderboardEntries.AsNoTracking().Where(l => ids.Contains(l.ExperimentId) && l.Benchmark == Benchmarks.Glue)
            .Select(l => new { l.ExperimentId, l.Columns }).ToListAsync(cancellationToken);
        var scoreColumns = Benchmarks.ScoreColumns(Benchmarks.Glue);
        return entries.ToDictionary(e => e.ExperimentId, e =>
        {
            var columns = (JsonNode.Parse(e.Columns) as JsonObject ?? []).Where(kv => scoreColumns.Contains(kv.Key))
                .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
            return columns.Count == 0
                ? ((double?)null, (string?)null)
                : (columns.Values.Average(), Benchmarks.TaskSetLabel(Benchmarks.Glue, columns.Keys));
        });
    }

    private static Dictionary<string, object?> WholeSpec => new() { ["field"] = "$" };

    private sealed record PlannedSteps(Guid Id, long? Steps, long Seed, string Config);

    public static async Task<Results<Accepted, NotFound>> CancelAsync(Guid id, CancelRequest? body, HttpContext context,
        IClusterClient cluster, IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Sweeps.AnyAsync(s => s.Id == id && s.TeamId == caller.Team, cancellationToken)) return TypedResults.NotFound();
        await cluster.GetGrain<ISweepGrain>(id).CancelAsync(body?.Reason ?? $"cancelled through the API by user {caller.UserId}");
        return TypedResults.Accepted($"/api/sweeps/{id}");
    }

    /// <summary>The body as text, or null when it is longer than <paramref name="maxBytes"/> (read no further than that).</summary>
    private static async Task<string?> ReadCappedAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
