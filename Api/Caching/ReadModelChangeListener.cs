using System.Collections.Concurrent;
using System.Globalization;
using ElectraLab.Storage;
using ElectraLab.Storage.ReadModels;
using Npgsql;

namespace ElectraLab.Api.Caching;

/// <summary>
/// Follows <see cref="ReadModelChannel"/> on a connection of its own for as long as the host runs. <see cref="Version"/>
/// moves on every change any process commits, and on every (re)connect, since changes made while nobody listened are
/// unknown. <see cref="RoundTripAsync"/> is the read barrier: PostgreSQL delivers a channel's notifications in commit
/// order, so when a marker sent now comes back, every change committed before it has already moved the version.
/// </summary>
public sealed class ReadModelChangeListener(StorageOptions storage, NpgsqlDataSource dataSource, ILogger<ReadModelChangeListener> logger)
    : BackgroundService
{
    /// <summary>A marker slower than this means the listening connection is in trouble: callers read uncached.</summary>
    private static readonly TimeSpan MarkerTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<long, TaskCompletionSource<bool>> _markers = new();
    private long _nextMarker;
    private long _version;
    private volatile bool _listening;
    private volatile CancellationTokenSource? _session;
    private readonly TaskCompletionSource _firstListen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Version => Interlocked.Read(ref _version);

    public bool IsListening => _listening;

    /// <summary>Completes when the listener first listens (a signal for tests and benchmarks to wait on).</summary>
    public Task Listening => _firstListen.Task;

    /// <summary>True once every change committed before the call has reached <see cref="Version"/>; false when that
    /// cannot be known (not listening, database away, marker lost), and the caller must read the database itself.</summary>
    public async Task<bool> RoundTripAsync(CancellationToken cancellationToken = default)
    {
        if (!_listening) return false;
        var id = Interlocked.Increment(ref _nextMarker);
        var arrived = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _markers[id] = arrived;
        try
        {
            await using var command = dataSource.CreateCommand("SELECT pg_notify($1, $2)");
            command.Parameters.Add(new() { Value = ReadModelChannel.Name });
            command.Parameters.Add(new() { Value = $"{ReadModelChannel.MarkerPrefix}{_instance}:{id}" });
            await command.ExecuteNonQueryAsync(cancellationToken);
            return await arrived.Task.WaitAsync(MarkerTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("A read-model marker did not come back within {Timeout}; reconnecting the listener", MarkerTimeout);
            _session?.Cancel();
            return false;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            return false;
        }
        finally
        {
            _markers.TryRemove(id, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not from the pool: a LISTEN belongs to its session, and keep-alives find a connection that died silently.
        var connectionString = new NpgsqlConnectionStringBuilder(storage.ConnectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(connectionString, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("Read-model change listener lost its connection ({Error}); cached reads are off until it is back",
                    e.Message);
            }
            try
            {
                await Task.Delay(ReconnectDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ListenAsync(string connectionString, CancellationToken stoppingToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await using var connection = new NpgsqlConnection(connectionString);
        connection.Notification += OnNotification;
        try
        {
            await connection.OpenAsync(session.Token);
            await using (var listen = new NpgsqlCommand($"LISTEN {ReadModelChannel.Name}", connection))
            {
                await listen.ExecuteNonQueryAsync(session.Token);
            }
            // Anything may have changed while nobody listened: what was cached before now is stale.
            Interlocked.Increment(ref _version);
            _session = session;
            _listening = true;
            _firstListen.TrySetResult();
            while (true) await connection.WaitAsync(session.Token);
        }
        finally
        {
            _listening = false;
            _session = null;
            Interlocked.Increment(ref _version);
            foreach (var (_, marker) in _markers) marker.TrySetResult(false);
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel != ReadModelChannel.Name) return;
        if (!e.Payload.StartsWith(ReadModelChannel.MarkerPrefix, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _version);
            return;
        }
        // Another instance's markers travel on the same channel; only this one's own complete anything here.
        var marker = e.Payload.AsSpan(ReadModelChannel.MarkerPrefix.Length);
        var separator = marker.IndexOf(':');
        if (separator > 0 && marker[..separator].SequenceEqual(_instance)
            && long.TryParse(marker[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && _markers.TryGetValue(id, out var arrived))
        {
            arrived.TrySetResult(true);
        }
    }
}
