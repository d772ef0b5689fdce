using Microsoft.Extensions.Primitives;

namespace ElectraLab.Api.Caching;

/// <summary>Writes a serialized read model, or 304 when the client already holds it (If-None-Match).</summary>
public sealed class CachedJsonResult(CachedRead read) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.Headers.ETag = read.ETag;
        // Per team (private), and a browser must ask again each time (no-cache): the 304 keeps that cheap.
        response.Headers.CacheControl = "private, no-cache";
        if (Matches(httpContext.Request.Headers.IfNoneMatch, read.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = read.Body.Length;
        return response.Body.WriteAsync(read.Body, httpContext.RequestAborted).AsTask();
    }

    /// <summary>If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ is ignored, and * matches anything.</summary>
    private static bool Matches(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var candidate in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (candidate == "*" || candidate == etag || (candidate.StartsWith("W/", StringComparison.Ordinal) && candidate[2..] == etag))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
