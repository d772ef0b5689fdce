using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ElectraLab.Observability.Health;

/// <summary>
/// Health for orchestrators, anonymous: <c>/health/live</c> (the process serves HTTP; no check runs, so a database
/// outage never gets a healthy process restarted) and <c>/health/ready</c> (every check tagged <see cref="ReadyTag"/>:
/// the database, and on a silo its membership). 200 when ready, 503 otherwise, with each check's reason in the body.
/// <c>/healthz</c> stays as the old name of live.
/// </summary>
public static class HealthEndpoints
{
    public const string ReadyTag = "ready";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    public static IEndpointRouteBuilder MapElectraLabHealth(this IEndpointRouteBuilder endpoints)
    {
        var live = new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync };
        endpoints.MapHealthChecks(LivePath, live).AllowAnonymous();
        endpoints.MapHealthChecks("/healthz", live).AllowAnonymous();
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
        return endpoints;
    }

    /// <summary>{"status":"Unhealthy","checks":{"database":{"status":"Unhealthy","reason":"database unreachable: ..."}}}</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                reason = e.Value.Description ?? e.Value.Exception?.Message,
                ms = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
