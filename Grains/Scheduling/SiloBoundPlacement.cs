using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace ElectraLab.Grains.Scheduling;

/// <summary>
/// Places a grain on the silo its key names (a silo address in parsable form). A worker grain must live on the silo
/// whose slots it owns; when that silo is gone, activation fails instead of quietly moving the worker elsewhere, and
/// the caller (the scheduler) learns that the silo and its slots are lost.
/// </summary>
[Serializable, GenerateSerializer, Immutable, Alias("electralab.SiloBoundPlacement")]
public sealed class SiloBoundPlacement : PlacementStrategy
{
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloBoundPlacementAttribute() : PlacementAttribute(new SiloBoundPlacement());

public sealed class SiloBoundPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString()!;
        var wanted = SiloAddress.FromParsableString(key);
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (silo.Equals(wanted)) return Task.FromResult(silo);
        }
        throw new SiloUnavailableException($"Silo {key} is not an active member of the cluster.");
    }
}
