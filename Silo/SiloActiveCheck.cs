using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace ElectraLab.Silo;

/// <summary>
/// Ready only while this silo is Active in the cluster's membership as this silo itself sees it: not while it joins,
/// and not once it is shutting down or has been declared dead (then it takes no grains and its jobs move elsewhere).
/// </summary>
internal sealed class SiloActiveCheck(ILocalSiloDetails silo, IClusterMembershipService membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {silo.SiloAddress} active")
            : HealthCheckResult.Unhealthy($"silo {silo.SiloAddress} is {status}, not active in the cluster"));
    }
}
