using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using ElectraLab.Api.Auth;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Storage;
using ElectraLab.Storage.Logs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ElectraLab.Api.Endpoints;

public sealed record ExperimentLogs(Guid ExperimentId, IReadOnlyList<JobLogLineView> Lines, long Next);

/// <summary>
/// An experiment's job logs: every attempt's lines (the runner's own and its worker's output), oldest first, bounded
/// per attempt in storage. Team-scoped like every experiment endpoint: another team's id is 404.
/// </summary>
public static class ExperimentLogsApi
{
    private const int MaxLimit = 5000;
    private static readonly TimeSpan EndQuiet = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapExperimentLogsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/experiments/{id:guid}/logs", GetAsync).WithTags("Experiments").RequireAuthorization(Caller.TeamPolicy)
            .WithName("GetExperimentLogs")
            .WithSummary("Job log lines after a cursor (after=<id>, limit, or tail=N for the newest N); follow=true streams them " +
                         "as Server-Sent Events (event 'line', id = the line's id; Last-Event-ID resumes) until the experiment ends");
        return endpoints;
    }

    public static async Task<Results<Ok<ExperimentLogs>, ServerSentEventsResult<JobLogLineView>, NotFound, ValidationProblem>> GetAsync(
        Guid id, HttpContext context, JobLogQueries logs, IDbContextFactory<ElectraLabDbContext> dbs, IOptions<ApiOptions> options,
        long after = 0, int limit = 1000, int? tail = null, bool follow = false, CancellationToken cancellationToken = default)
    {
        if (after < 0) return ApiProblems.Field("after", "must be zero or more");
        if (limit is < 1 or > MaxLimit) return ApiProblems.Field("limit", $"must be between 1 and {MaxLimit}");
        if (tail is < 1 or > MaxLimit) return ApiProblems.Field("tail", $"must be between 1 and {MaxLimit}");
        var caller = Caller.From(context.User);
        if (context.Request.Headers["Last-Event-ID"] is [{ } lastEventId] && long.TryParse(lastEventId, out var resumed)) after = resumed;
        var lines = tail is { } n && after == 0
            ? await logs.TailAsync(caller.Team, id, n, cancellationToken)
            : await logs.ReadAsync(caller.Team, id, after, limit, cancellationToken);
        if (lines is null) return TypedResults.NotFound();
        if (follow)
        {
            return TypedResults.ServerSentEvents(Follow(id, caller.Team, lines, logs, dbs, options.Value.EventPollInterval, context.RequestAborted));
        }
        return TypedResults.Ok(new ExperimentLogs(id, lines, lines.Count > 0 ? lines[^1].Id : after));
    }

    /// <summary>
    /// The first page, then new lines as they land; ends once the experiment has been in a final state for
    /// <see cref="EndQuiet"/> with nothing new (a silo writes queued lines within a second, after the outcome).
    /// </summary>
    private static async IAsyncEnumerable<SseItem<JobLogLineView>> Follow(Guid id, Guid team, IReadOnlyList<JobLogLineView> first,
        JobLogQueries logs, IDbContextFactory<ElectraLabDbContext> dbs, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = 0L;
        foreach (var line in first)
        {
            cursor = line.Id;
            yield return new SseItem<JobLogLineView>(line, "line") { EventId = line.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        using var timer = new PeriodicTimer(interval);
        DateTime? quietSince = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await timer.WaitForNextTickAsync(cancellationToken)) yield break;
            bool ended;
            await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
            {
                var status = await db.Experiments.AsNoTracking().Where(e => e.Id == id && e.TeamId == team).Select(e => e.Status)
                    .SingleOrDefaultAsync(cancellationToken);
                if (status is null) yield break;
                ended = ExperimentStates.TerminalNames.Contains(status);
            }
            var lines = await logs.ReadAsync(team, id, cursor, MaxLimit, cancellationToken) ?? [];
            foreach (var line in lines)
            {
                cursor = line.Id;
                yield return new SseItem<JobLogLineView>(line, "line") { EventId = line.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
            if (!ended || lines.Count > 0) quietSince = null;
            else if ((quietSince ??= DateTime.UtcNow) <= DateTime.UtcNow - EndQuiet) yield break;
        }
    }
}
