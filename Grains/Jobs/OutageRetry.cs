using ElectraLab.Storage.Resilience;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// Waits out a database outage on a job's thread: a call that fails because PostgreSQL (or a grain that needs it) is
/// unavailable is repeated with backoff for up to <see cref="RetryPolicy.Outage"/>'s window, so a job rides through a
/// restart or a stop of several minutes. Any other failure is thrown at once. Only idempotent calls go through here.
/// </summary>
internal static class OutageRetry
{
    public static T Run<T>(Func<Task<T>> call, string what, ILogger logger, CancellationToken cancellationToken)
    {
        var policy = RetryPolicy.Outage;
        var started = DateTime.UtcNow;
        var delay = policy.FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = call().GetAwaiter().GetResult();
                if (attempt > 1) logger.LogInformation("{What}: the database is back after {Seconds:F0} s", what, (DateTime.UtcNow - started).TotalSeconds);
                return result;
            }
            catch (Exception e) when (JobFailures.IsOutage(e) && DateTime.UtcNow - started + delay < policy.Window
                                      && !cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1 || attempt % 12 == 0)
                {
                    logger.LogWarning("{What}: waiting for the database ({Error})", what, e.GetBaseException().Message);
                }
            }
            cancellationToken.WaitHandle.WaitOne(delay);
            cancellationToken.ThrowIfCancellationRequested();
            delay = TimeSpan.FromTicks(Math.Min(policy.MaxDelay.Ticks, delay.Ticks * 2));
        }
    }

    public static void Run(Func<Task> call, string what, ILogger logger, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await call();
            return true;
        }, what, logger, cancellationToken);
}
