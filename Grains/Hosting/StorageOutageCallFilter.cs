using ElectraLab.Contracts;
using ElectraLab.Storage.Resilience;

namespace ElectraLab.Grains.Hosting;

/// <summary>
/// Turns a database outage met inside any grain call (its own SQL, or grain state and reminders in PostgreSQL) into a
/// <see cref="StorageUnavailableException"/>, which callers across the cluster can recognise and retry or answer 503 on.
/// </summary>
internal sealed class StorageOutageCallFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (e is not StorageUnavailableException && TransientDatabaseErrors.IsTransient(e))
        {
            throw new StorageUnavailableException(
                $"{context.InterfaceName}.{context.MethodName}: the database is unavailable ({e.GetBaseException().Message})");
        }
    }
}
