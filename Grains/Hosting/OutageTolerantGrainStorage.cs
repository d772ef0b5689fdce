using ElectraLab.Contracts;
using ElectraLab.Storage.Resilience;
using Npgsql;
using Orleans.Storage;

namespace ElectraLab.Grains.Hosting;

/// <summary>
/// Grain state in PostgreSQL (Orleans' ADO.NET provider) made to tolerate a database restart: a read or write that
/// meets a transient error (a pooled connection the restart terminated, 57P01; the server not up yet) is retried for a
/// couple of seconds on fresh connections, and one that still fails becomes a <see cref="StorageUnavailableException"/>,
/// which crosses the cluster as itself, where the driver's own exception cannot be serialized at all. Activations read
/// state outside any grain call filter, so this is the one place that sees those failures.
/// </summary>
internal sealed class OutageTolerantGrainStorage(IGrainStorage inner) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RunAsync(() => inner.ReadStateAsync(stateName, grainId, grainState), "reading", stateName, grainId);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RunAsync(() => inner.WriteStateAsync(stateName, grainId, grainState), "writing", stateName, grainId);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RunAsync(() => inner.ClearStateAsync(stateName, grainId, grainState), "clearing", stateName, grainId);

    private static async Task RunAsync(Func<Task> operation, string verb, string stateName, GrainId grainId)
    {
        try
        {
            await DatabaseRetry.RunAsync(async _ =>
            {
                try
                {
                    await operation();
                }
                catch (Exception e) when (TransientDatabaseErrors.IsTransient(e))
                {
                    // The provider opens connections by connection string: its pool, not a data source of ours, holds them.
                    NpgsqlConnection.ClearAllPools();
                    throw;
                }
            }, RetryPolicy.Request);
        }
        catch (Exception e) when (TransientDatabaseErrors.IsTransient(e))
        {
            throw new StorageUnavailableException($"{verb} {stateName} state of {grainId}: the database is unavailable ({e.GetBaseException().Message})");
        }
    }
}
