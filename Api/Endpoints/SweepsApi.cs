using System.Text;
using ElectraLab.Api.Auth;
using ElectraLab.Contracts;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Storage;
using ElectraLab.Storage.Queries;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ElectraLab.Sweeps;

namespace ElectraLab.Api.Endpoints;

public sealed record SweepCreated(Guid SweepId, IReadOnlyList<Guid> ExperimentIds);

/// <summary>One experiment of a sweep: its live state and step, and the steps it is configured to run (for progress).</summary>
public sealed record SweepExperiment(Guid Id, string Name, string Status, long Step, long? TotalSteps, string? Reason);

/// <summary>A sweep: <see cref="Status"/> is running, completed (something completed), failed (nothing did) or cancelled;
/// <see cref="Counts"/> says how many experiments are in each state.</summary>
public sealed record SweepDetails(Guid Id, string Name, string Status, DateTimeOffset CreatedAt, IReadOnlyList<SweepExperiment> Experiments,
    IReadOnlyDictionary<string, int> Counts);

public sealed record CancelRequest(string? Reason);

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
        group.MapGet("/{id:guid}", GetAsync).WithName("GetSweep").WithSummary("A sweep and its experiments");
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

    public static async Task<Results<Ok<SweepDetails>, NotFound>> GetAsync(Guid id, HttpContext context, IClusterClient cluster,
        IDbContextFactory<ElectraLabDbContext> dbs, ExperimentHistoryQueries history, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        var sweep = await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.TeamId == caller.Team, cancellationToken);
        if (sweep is null) return TypedResults.NotFound();

        var rows = await history.GetAsync(new ExperimentHistoryQuery(caller.Team, SweepId: id, Limit: 500), cancellationToken);
        // Planned steps for every experiment in one query (progress bars), read from the resolved configs in SQL.
        var totals = await db.Database
            .SqlQuery<PlannedSteps>($"SELECT id AS \"Id\", (config ->> 'num_train_steps')::bigint AS \"Steps\" FROM experiments WHERE sweep_id = {id} AND team_id = {caller.Team}")
            .ToDictionaryAsync(t => t.Id, t => t.Steps, cancellationToken);
        var live = await cluster.GetGrain<ISweepGrain>(id).GetStatusAsync();
        var byId = live.Experiments.ToDictionary(e => e.ExperimentId);
        var experiments = rows.Items.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => byId.TryGetValue(e.Id, out var s)
                ? new SweepExperiment(e.Id, e.Name, s.State.ToStorageName(), s.Step, totals.GetValueOrDefault(e.Id), s.Reason)
                : new SweepExperiment(e.Id, e.Name, e.Status, 0, totals.GetValueOrDefault(e.Id), null))
            .ToList();
        var status = live.State == SweepStatus.NotSubmitted ? sweep.Status : live.State;
        var counts = experiments.GroupBy(e => e.Status)
            .ToDictionary(g => g.Key, g => g.Count());
        return TypedResults.Ok(new SweepDetails(sweep.Id, sweep.Name, status, sweep.CreatedAt, experiments, counts));
    }

    private static Dictionary<string, object?> WholeSpec => new() { ["field"] = "$" };

    private sealed record PlannedSteps(Guid Id, long? Steps);

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
