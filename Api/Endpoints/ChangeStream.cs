using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace ElectraLab.Api.Endpoints;

/// <summary>
/// Server-sent events of something read again every interval: an event now and one whenever what a client would
/// receive changes (compared as JSON: records with collections compare by reference), until it is gone (null), it
/// has finished, or the client leaves. The server polls the database so that the browser does not.
/// </summary>
public static class ChangeStream
{
    public static async IAsyncEnumerable<SseItem<T>> FollowAsync<T>(Func<CancellationToken, Task<T?>> read, string eventType,
        TimeSpan interval, Func<T, bool>? finished, [EnumeratorCancellation] CancellationToken cancellationToken) where T : class
    {
        string? last = null;
        using var timer = new PeriodicTimer(interval);
        while (!cancellationToken.IsCancellationRequested)
        {
            var current = await read(cancellationToken);
            if (current is null) yield break;
            var shown = JsonSerializer.Serialize(current);
            if (shown != last)
            {
                last = shown;
                yield return new SseItem<T>(current, eventType);
            }
            if (finished?.Invoke(current) == true) yield break;
            if (!await timer.WaitForNextTickAsync(cancellationToken)) yield break;
        }
    }
}
