using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ElectraLab.Storage.Resilience;

/// <summary>How long to keep retrying transient database errors, and how far apart.</summary>
/// <param name="Window">Give up (rethrow) once this much time has passed since the first attempt.</param>
public sealed record RetryPolicy(TimeSpan Window, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>
    /// For a caller someone waits on (an HTTP request): long enough to get past a pooled connection that a restarted
    /// server terminated, short enough that an outage becomes a quick 503 rather than a hung request.
    /// </summary>
    public static RetryPolicy Request { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(500));

    /// <summary>For background work (a training job's checkpoints and results): waits out an outage of several minutes.</summary>
    public static RetryPolicy Outage { get; } = new(TimeSpan.FromMinutes(15), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
}

/// <summary>
/// Runs a database operation again after transient errors (<see cref="TransientDatabaseErrors"/>), with exponential
/// backoff, until the policy's window ends. The operation must be safe to repeat: every write path in Storage is one
/// transaction or an idempotent upsert, so a retried attempt either replaces or repeats what a failed one did.
/// After a failure the data source's idle connections are dropped: after a server restart every one of them is dead.
/// </summary>
public static class DatabaseRetry
{
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, RetryPolicy policy, NpgsqlDataSource? dataSource = null,
        ILogger? logger = null, string? what = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var delay = policy.FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (Exception e) when (TransientDatabaseErrors.IsTransient(e) && clock.Elapsed + delay < policy.Window
                                      && !cancellationToken.IsCancellationRequested)
            {
                dataSource?.Clear();
                // Connections opened by connection string (Orleans' ADO.NET providers) sit in Npgsql's global pools.
                NpgsqlConnection.ClearAllPools();
                if (attempt == 1 || attempt % 10 == 0)
                {
                    logger?.LogWarning("{What}: the database is unavailable ({Error}); retrying (attempt {Attempt}, {Elapsed:F0} s so far)",
                        what ?? "database call", e.GetBaseException().Message, attempt, clock.Elapsed.TotalSeconds);
                }
            }
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(policy.MaxDelay.Ticks, delay.Ticks * 2));
        }
    }

    public static Task RunAsync(Func<CancellationToken, Task> operation, RetryPolicy policy, NpgsqlDataSource? dataSource = null,
        ILogger? logger = null, string? what = null, CancellationToken cancellationToken = default) =>
        RunAsync(async ct =>
        {
            await operation(ct);
            return true;
        }, policy, dataSource, logger, what, cancellationToken);
}
