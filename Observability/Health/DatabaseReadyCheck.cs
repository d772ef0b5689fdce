using ElectraLab.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ElectraLab.Observability.Health;

/// <summary>
/// Ready when PostgreSQL answers within <see cref="Timeout"/> and every migration this build knows is applied. One
/// short query per probe, no retries: an orchestrator probes again, and a probe that waited out an outage would hide it.
/// Migrations are looked up until they are all applied once; a database does not lose applied migrations.
/// </summary>
public sealed class DatabaseReadyCheck(IDbContextFactory<ElectraLabDbContext> dbs) : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private volatile bool _migrated;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(timeout.Token);
            // Not through EF's execution strategy: its retries would stretch a failing probe past the orchestrator's timeout.
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync(timeout.Token);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync(timeout.Token);
            }
            if (!_migrated)
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(timeout.Token)).ToList();
                if (pending.Count > 0)
                {
                    return HealthCheckResult.Unhealthy($"database migrations not applied yet: {string.Join(", ", pending)}");
                }
                _migrated = true;
            }
            return HealthCheckResult.Healthy("database reachable, migrations applied");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"database did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"database unreachable: {e.GetBaseException().Message}");
        }
    }
}
