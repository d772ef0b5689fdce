using System.Threading.Channels;
using ElectraLab.Storage.Resilience;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ElectraLab.Storage.Metrics;

/// <summary>
/// Buffers metric points in bounded channels and writes them in batches from background flushers, one connection
/// each, so one batch's COPY overlaps another's insert. A series (experiment, name) always goes to the same flusher.
/// <see cref="Write"/> never touches the database: it returns at once while the buffer has room.
///
/// A database outage is weather, not a fault: a flusher retries a batch for as long as the errors are transient
/// (connection refused, the server restarting, a terminated pooled connection), so nothing is stored as a failure and
/// nothing needs a restart when the database returns. Meanwhile the buffer fills; with a spill folder configured
/// (<see cref="StorageOptions.MetricSpillDirectory"/>) further points go to local files instead of stalling the
/// caller, and are written once the database is back; without one, <see cref="Write"/> waits (back-pressure).
/// Every batch is idempotent on (experiment, name, step), so a batch retried or re-read from a spill file after it
/// had in fact committed writes nothing twice. A batch that fails for a reason that is not transient (a bug, not
/// weather) is retried a few times, then dropped and counted in <see cref="Failed"/>, and the lane goes on.
/// </summary>
public sealed class MetricWriter : IAsyncDisposable
{
    private const int MaxPermanentFailures = 5;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly Channel<MetricPoint>[] _lanes;
    private readonly MetricSpill[]? _spills;
    private readonly string? _spillDirectory;
    private readonly long[] _accepted;
    private readonly long[] _persisted;
    private readonly int _batchSize;
    private readonly TimeSpan _drainTimeout;
    private readonly Task[] _flushers;
    private readonly Lock _progressLock = new();
    private readonly CancellationTokenSource _abandon = new();
    private long _inserted;
    private long _spilled;
    private long _failed;
    private volatile bool _disposing;
    private TaskCompletionSource _progress = NewProgress();

    public MetricWriter(NpgsqlDataSource dataSource, StorageOptions options, ILogger<MetricWriter>? logger = null)
    {
        _dataSource = dataSource;
        _logger = logger ?? NullLogger<MetricWriter>.Instance;
        _batchSize = options.MetricBatchSize;
        _drainTimeout = options.MetricDrainTimeout;
        var lanes = Math.Max(1, options.MetricFlushers);
        var capacity = Math.Max(1, options.MetricBufferCapacity / lanes);
        _lanes = Enumerable.Range(0, lanes).Select(_ => Channel.CreateBounded<MetricPoint>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        })).ToArray();
        _spillDirectory = options.MetricSpillDirectory;
        _spills = _spillDirectory is null ? null : Enumerable.Range(0, lanes).Select(lane => new MetricSpill(_spillDirectory, lane)).ToArray();
        _accepted = new long[lanes];
        _persisted = new long[lanes];
        _flushers = Enumerable.Range(0, lanes).Select(lane => Task.Run(() => FlushLoopAsync(lane))).ToArray();
        StorageInstruments.Track(this);
    }

    /// <summary>Points that reached the database (replayed duplicates excluded).</summary>
    public long Inserted => Interlocked.Read(ref _inserted);

    /// <summary>Points accepted and not yet written (in memory or spilled).</summary>
    public long Buffered => _accepted.Select((_, lane) => Interlocked.Read(ref _accepted[lane]) - Interlocked.Read(ref _persisted[lane])).Sum();

    /// <summary>Points that went to the spill folder because the memory buffer was full.</summary>
    public long Spilled => Interlocked.Read(ref _spilled);

    /// <summary>Points dropped after a batch failed for a reason that is not transient.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Queues a point; spills it, or waits, only while its buffer is full. Safe from any thread.</summary>
    public void Write(in MetricPoint point)
    {
        ObjectDisposedException.ThrowIf(_disposing, this);
        var lane = LaneOf(point);
        if (_lanes[lane].Writer.TryWrite(point))
        {
            Interlocked.Increment(ref _accepted[lane]);
            return;
        }
        if (_spills is not null)
        {
            _spills[lane].Append(point);
            Interlocked.Increment(ref _spilled);
            Interlocked.Increment(ref _accepted[lane]);
            return;
        }
        WriteAsync(point).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask WriteAsync(MetricPoint point, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposing, this);
        var lane = LaneOf(point);
        await _lanes[lane].Writer.WriteAsync(point, cancellationToken);
        Interlocked.Increment(ref _accepted[lane]);
    }

    /// <summary>Completes when every point queued before the call is in the database (or was dropped as not writable).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var targets = _accepted.Select((_, lane) => Interlocked.Read(ref _accepted[lane])).ToArray();
        while (true)
        {
            Task progress;
            lock (_progressLock)
            {
                if (targets.Select((target, lane) => Interlocked.Read(ref _persisted[lane]) >= target).All(done => done))
                {
                    return;
                }
                progress = _progress.Task;
            }
            await progress.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Writes what is buffered, for at most <see cref="StorageOptions.MetricDrainTimeout"/>; whatever the database could
    /// not take by then stays in the spill folder for the next writer on it (or is reported lost without one). Never throws.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing) return;
        _disposing = true;
        StorageInstruments.Untrack(this);
        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }
        var all = Task.WhenAll(_flushers);
        if (await Task.WhenAny(all, Task.Delay(_drainTimeout)) != all)
        {
            _abandon.Cancel();
            await all;
        }
        if (_spills is not null)
        {
            foreach (var spill in _spills) spill.Dispose();
        }
        _abandon.Dispose();
    }

    private int LaneOf(in MetricPoint point) =>
        _lanes.Length == 1 ? 0 : (HashCode.Combine(point.ExperimentId, point.Name) & int.MaxValue) % _lanes.Length;

    private async Task FlushLoopAsync(int lane)
    {
        var reader = _lanes[lane].Reader;
        var batch = new List<MetricPoint>(_batchSize);
        var connection = new LaneConnection(_dataSource);
        var abandon = _abandon.Token;
        try
        {
            if (lane == 0 && _spillDirectory is not null)
            {
                foreach (var orphan in MetricSpill.Orphans(_spillDirectory))
                {
                    _logger.LogInformation("Writing metric points spilled by an earlier process ({File})", orphan);
                    await WriteSpilledAsync(orphan, connection, abandon);
                }
            }
            while (true)
            {
                await DrainSpillAsync(lane, connection, abandon);
                if (!await reader.WaitToReadAsync(CancellationToken.None))
                {
                    await DrainSpillAsync(lane, connection, abandon);
                    return;
                }
                while (batch.Count < _batchSize && reader.TryRead(out var point))
                {
                    batch.Add(point);
                }
                await WriteWithRetryAsync(batch, connection, abandon);
                Advance(lane, batch.Count);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // Disposal gave up waiting for the database: keep what is left where the next writer finds it.
            while (reader.TryRead(out var point)) batch.Add(point);
            if (_spills is not null)
            {
                foreach (var point in batch) _spills[lane].Append(point);
                _logger.LogWarning("The database did not return in time: {Count} metric points kept in {Folder} for the next start",
                    _spills[lane].Pending, _spillDirectory);
            }
            else if (batch.Count > 0)
            {
                _logger.LogError("The database did not return in time: {Count} metric points were not written", batch.Count);
            }
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    private async Task DrainSpillAsync(int lane, LaneConnection connection, CancellationToken abandon)
    {
        if (_spills?[lane].Take() is not { } taken) return;
        await WriteSpilledAsync(taken.Path, connection, abandon);
        Advance(lane, (int)taken.Count);
    }

    private async Task WriteSpilledAsync(string path, LaneConnection connection, CancellationToken abandon)
    {
        foreach (var batch in MetricSpill.ReadBatches(path, _batchSize))
        {
            await WriteWithRetryAsync(batch, connection, abandon);
        }
        File.Delete(path);
    }

    private async Task WriteWithRetryAsync(List<MetricPoint> batch, LaneConnection connection, CancellationToken abandon)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var permanentFailures = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var inserted = await MetricBatchWriter.WriteAsync(await connection.GetAsync(abandon), batch, abandon);
                Interlocked.Add(ref _inserted, inserted);
                if (attempt > 1) _logger.LogInformation("Metric writes resumed after {Attempts} attempts", attempt);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !abandon.IsCancellationRequested)
            {
                await connection.ResetAsync();
                if (TransientDatabaseErrors.IsTransient(e))
                {
                    _dataSource.Clear();
                    if (attempt == 1 || attempt % 20 == 0)
                    {
                        _logger.LogWarning("Metric writes wait for the database ({Error}); {Buffered} points buffered, {Spilled} spilled so far",
                            e.GetBaseException().Message, Buffered, Spilled);
                    }
                }
                else if (++permanentFailures >= MaxPermanentFailures)
                {
                    _logger.LogError(e, "A batch of {Count} metric points could not be written and was dropped", batch.Count);
                    Interlocked.Add(ref _failed, batch.Count);
                    return;
                }
            }
            await Task.Delay(delay, abandon);
            delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, delay.Ticks * 2));
        }
    }

    private void Advance(int lane, int count)
    {
        TaskCompletionSource completed;
        lock (_progressLock)
        {
            Interlocked.Add(ref _persisted[lane], count);
            completed = _progress;
            _progress = NewProgress();
        }
        completed.TrySetResult();
    }

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A flusher's own connection, opened on demand and dropped after any failure.</summary>
    private sealed class LaneConnection(NpgsqlDataSource dataSource) : IAsyncDisposable
    {
        private NpgsqlConnection? _connection;

        public async Task<NpgsqlConnection> GetAsync(CancellationToken cancellationToken) =>
            _connection ??= await dataSource.OpenConnectionAsync(cancellationToken);

        public async Task ResetAsync()
        {
            if (_connection is null) return;
            try
            {
                await _connection.DisposeAsync();
            }
            catch (Exception)
            {
                // A broken connection may fail to close; it is discarded either way.
            }
            _connection = null;
        }

        public ValueTask DisposeAsync() => new(ResetAsync());
    }
}
