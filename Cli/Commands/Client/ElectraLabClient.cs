using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

/// <summary>
/// The CLI's side of the HTTP API: every call carries the key, and every failure becomes a
/// <see cref="ClientException"/> with the server's own words (the problem's title, detail and named fields).
/// Answers stay JsonNode: the client prints what the server sends and does not pin the API's record types.
/// </summary>
public sealed class ElectraLabClient : IDisposable
{
    public const string KeyHeader = "X-Api-Key";

    private readonly HttpClient _http;

    public ElectraLabClient(string server, string? apiKey, HttpMessageHandler? handler = null)
    {
        if (!Uri.TryCreate(server.TrimEnd('/') + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new ClientException($"--server must be an http(s) address, not '{server}'");
        }
        Server = address;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = address;
        // Transfers (a model's tar, a dataset push) take as long as they take; JSON calls get RequestTimeout each.
        _http.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrWhiteSpace(apiKey)) _http.DefaultRequestHeaders.Add(KeyHeader, apiKey);
    }

    public Uri Server { get; }

    /// <summary>How long one JSON request may take.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Uploads a binary body (a dataset tar) and returns the JSON answer; no time limit, as for downloads. The content is
    /// streamed from <paramref name="body"/>, never buffered whole.
    /// </summary>
    public async Task<JsonNode> PostStreamAsync(string path, Stream body, string mediaType, CancellationToken cancellationToken = default)
    {
        var content = new StreamContent(body, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        if (body.CanSeek) content.Headers.ContentLength = body.Length - body.Position;
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        // The server can refuse (too large, no such team) before a byte of a possibly huge body has been sent.
        request.Headers.ExpectContinue = true;
        return await SendAsync(request, cancellationToken, timeout: null);
    }

    public Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<JsonNode> PostJsonAsync(string path, JsonNode body, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        }, cancellationToken);

    public Task<JsonNode> PatchJsonAsync(string path, JsonNode body, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Patch, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        }, cancellationToken);

    public Task<JsonNode> PostTextAsync(string path, string body, string mediaType, CancellationToken cancellationToken = default) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, mediaType) },
            cancellationToken);

    /// <summary>Downloads a binary answer (a tar) into <paramref name="destination"/>; throws ClientException otherwise.</summary>
    public async Task DownloadAsync(string path, Stream destination, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ClientException($"cannot reach {Server} ({e.Message})");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new ClientException(Describe(request, response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken)));
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await body.CopyToAsync(destination, cancellationToken);
        }
    }

    /// <summary>Sends a request and returns its JSON answer ({} for an empty body); throws ClientException otherwise.</summary>
    public Task<JsonNode> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default) =>
        SendAsync(request, cancellationToken, RequestTimeout);

    private async Task<JsonNode> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, TimeSpan? timeout)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var limited = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit) limited.CancelAfter(limit);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, limited.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClientException($"{Server} did not answer {request.Method} /{request.RequestUri} within {timeout?.TotalSeconds:F0} s");
        }
        catch (HttpRequestException e)
        {
            throw new ClientException($"cannot reach {Server} ({e.Message}); start the local stack with `electralab up` " +
                "or pass --server");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(limited.Token);
            if (response.IsSuccessStatusCode) return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text)!;
            throw new ClientException(Describe(request, response.StatusCode, text));
        }
    }

    /// <summary>
    /// Opens a Server-Sent Events stream (GET with Accept text/event-stream) and yields each event's data, until the
    /// server ends the stream; a failure answer becomes a <see cref="ClientException"/> as in <see cref="SendAsync"/>.
    /// </summary>
    public async IAsyncEnumerable<string> EventsAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ClientException($"cannot reach {Server} ({e.Message}); start the local stack with `electralab up` or pass --server");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new ClientException(Describe(request, response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken)));
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(cancellationToken))
            {
                yield return item.Data;
            }
        }
    }

    private static string Describe(HttpRequestMessage request, HttpStatusCode status, string body)
    {
        var what = $"{request.Method} {request.RequestUri}: {(int)status} {status}";
        if (status == HttpStatusCode.Unauthorized)
        {
            return $"{what}: the server needs a valid API key (`electralab login --api-key elab_...` or --api-key)";
        }
        if (status == HttpStatusCode.NotFound && string.IsNullOrWhiteSpace(body))
        {
            return $"{what}: no such resource in your team";
        }
        JsonNode? problem = null;
        try
        {
            problem = string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (problem is not JsonObject p) return string.IsNullOrWhiteSpace(body) ? what : $"{what}: {body.Trim()}";
        var parts = new List<string> { what };
        if (p["title"]?.GetValue<string>() is { } title) parts.Add(title);
        if (p["detail"]?.GetValue<string>() is { } detail) parts.Add(detail);
        if (p["errors"] is JsonObject errors)
        {
            parts.AddRange(errors.Select(e => $"{e.Key}: {string.Join("; ", e.Value?.AsArray().Select(m => m?.GetValue<string>()) ?? [])}"));
        }
        return string.Join(": ", parts);
    }

    public void Dispose() => _http.Dispose();
}
