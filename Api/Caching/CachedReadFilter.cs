using System.Security.Cryptography;
using System.Text.Json;
using ElectraLab.Api.Auth;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace ElectraLab.Api.Caching;

/// <summary>
/// Serves a read endpoint's 200 answers from <see cref="ReadModelCache"/> once <see cref="ReadBarrier"/> has shown
/// that no change committed before the request is missing from the cache's version; anything else (a problem, a 404,
/// the listener away) goes to the handler as before. Every 200 carries a content ETag, and a matching
/// If-None-Match gets 304 without a body.
/// </summary>
public sealed class CachedReadFilter(ReadBarrier barrier, ReadModelChangeListener changes, ReadModelCache cache,
    IOptions<JsonOptions> json) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // The team is the whole of what these reads depend on besides the URL: a key never crosses teams.
        var key = $"{Caller.From(http.User).Team:N} {http.Request.Path}{http.Request.QueryString}";
        var trusted = cache.Enabled && await barrier.PassAsync(http.RequestAborted);
        // Read after the barrier and before the handler: a change during the handler leaves this entry already stale.
        var version = changes.Version;
        if (trusted && cache.Get(key, version) is { } hit) return new CachedJsonResult(hit);

        var result = await next(context);
        var answer = result is INestedHttpResult nested ? nested.Result : result;
        if (answer is not IValueHttpResult { Value: { } value } || answer is not IStatusCodeHttpResult { StatusCode: 200 }) return result;
        var body = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), json.Value.SerializerOptions);
        var read = new CachedRead(version, body, ETagOf(body));
        if (trusted) cache.Set(key, read);
        return new CachedJsonResult(read);
    }

    /// <summary>A strong validator from the bytes themselves: equal answers match across versions and instances.</summary>
    private static string ETagOf(byte[] body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16))}\"";
}

public static class CachedReadEndpoints
{
    /// <summary>Answers from the read-model cache, with ETags (<see cref="CachedReadFilter"/>).</summary>
    public static RouteHandlerBuilder WithCachedReads(this RouteHandlerBuilder builder) => builder.AddEndpointFilter<CachedReadFilter>();
}
