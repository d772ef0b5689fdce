using ElectraLab.Api.Auth;
using ElectraLab.Reports;
using ElectraLab.Storage.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ElectraLab.Api.Endpoints;

/// <summary>A sweep's report: its Markdown (figures as separate SVG files), the same as HTML, and its findings.</summary>
public sealed record SweepReportView(string Html, string Markdown, IReadOnlyDictionary<string, string> Figures, IReadOnlyList<Finding> Findings);

/// <summary>
/// A sweep's raw results (what `electralab report` saves as results.json and regenerates the report from) and its
/// report, built from exactly those results.
/// </summary>
public static class SweepReportsApi
{
    public static RouteGroupBuilder MapSweepReportsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/sweeps").WithTags("Sweeps").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/{id:guid}/results", ResultsAsync).WithName("GetSweepResults")
            .WithSummary("Every experiment of the sweep with its config and every evaluation row (task, metric, step, seed, value): a report's input");
        group.MapGet("/{id:guid}/report", ReportAsync).WithName("GetSweepReport")
            .WithSummary("The sweep's report: per-arm medians with bootstrap intervals, the paper's numbers, compute curves, findings");
        return group;
    }

    public static async Task<Results<Ok<SweepResultsExport>, NotFound>> ResultsAsync(Guid id, HttpContext context, SweepResultsQueries queries,
        CancellationToken cancellationToken) =>
        await queries.ExportAsync(Caller.From(context.User).Team, id, cancellationToken) is { } results
            ? TypedResults.Ok(results)
            : TypedResults.NotFound();

    public static async Task<Results<Ok<SweepReportView>, NotFound>> ReportAsync(Guid id, HttpContext context, SweepResultsQueries queries,
        CancellationToken cancellationToken)
    {
        if (await queries.ExportAsync(Caller.From(context.User).Team, id, cancellationToken) is not { } results) return TypedResults.NotFound();
        var document = SweepReport.Build(results);
        var (markdown, figures) = MarkdownReport.Render(document);
        return TypedResults.Ok(new SweepReportView(HtmlReport.Render(document), markdown, figures,
            Findings.Test(SweepArms.Group(results), SweepArms.Axes(results))));
    }
}
