using ElectraLab.Contracts;
using ElectraLab.Storage.Resilience;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ElectraLab.Api.Resilience;

/// <summary>
/// A request that meets a database outage (after Storage's short retries) answers 503 with Retry-After instead of 500:
/// the client's request was fine and will work again as soon as PostgreSQL is back, without restarting anything.
/// Runs before authentication, so it also covers the API-key lookup.
/// </summary>
internal sealed class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception)) return false;
        logger.LogWarning("{Method} {Path}: the database is unavailable ({Error}); answered 503", context.Request.Method,
            context.Request.Path, exception.GetBaseException().Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable",
                Detail = $"ElectraLab cannot reach PostgreSQL right now; nothing was changed. Retry in {RetryAfterSeconds} s.",
            },
        });
    }

    /// <summary>
    /// A grain's StorageUnavailableException, or a transient error that came from the database driver. A bare
    /// IOException or socket error with no Npgsql exception in its chain is the request's own (a client that went
    /// away, a stream that failed), not an outage: answering 503 would tell the client to retry something that
    /// will fail the same way.
    /// </summary>
    internal static bool IsUnavailable(Exception exception)
    {
        var fromDatabase = false;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageUnavailableException) return true;
            if (e is Npgsql.NpgsqlException) fromDatabase = true;
        }
        return fromDatabase && TransientDatabaseErrors.IsTransient(exception);
    }
}
