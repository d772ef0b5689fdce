using System.Threading.Channels;
using Npgsql;

namespace ElectraLab.Storage.Metrics;

/// <summary>
/// Buffers metric points in bounded channels and writes them in batches from background flushers, one connection
/// each, so one batch's COPY overlaps another's insert. A series (experiment, name) always goes to the same flusher,
/// so points of one series are written in the order they were queued and the first write of a step wins.
/// <see cref="Write"/> never touches the database: it returns at once while the buffer has room and waits only when
/// it is full (back-pressure), so memory stays bounded. <see cref="DisposeAsync"/> drains the buffers.
/// </summary>
public sealed class MetricWriter : IAsyncDisposable
{
    private const int MaxAttempts = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<MetricPoint>[] _lanes;
    private readonly long[] _accepted;
    private readonly long[] _persisted;
    private readonly int _batchSize;
    private readonly Task[] _flushers;
    private readonly Lock _progressLock = new();
    private long _inserted;
    private TaskCompletionSource _progress = NewProgress();
    private Exception? _fault;

    public MetricWriter(NpgsqlDataSource dataSource, StorageOptions options)
    {
        _dataSource = dataSource;
        _batchSize = options.MetricBatchSize;
        var lanes = Math.Max(1, options.MetricFlushers);
        var capacity = Math.Max(1, options.MetricBufferCapacity / lanes);
        _lanes = Enumerable.Range(0, lanes).Select(_ => Channel.CreateBounded<MetricPoint>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        })).ToArray();
        _accepted = new long[lanes];
        _persisted = new long[lanes];
        _flushers = Enumerable.Range(0, lanes).Select(lane => Task.Run(() => FlushLoopAsync(lane))).ToArray();
    }

    /// <summary>Points that reached the database (replayed duplicates excluded).</summary>
    public long Inserted => Interlocked.Read(ref _inserted);

    /// <summary>Queues a point; waits only while its buffer is full. Safe from any thread.</summary>
    public void Write(in MetricPoint point)
    {
        ThrowIfFaulted();
        var lane = LaneOf(point);
        if (_lanes[lane].Writer.TryWrite(point))
        {
            Interlocked.Increment(ref _accepted[lane]);
            return;
        }
        WriteAsync(point).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask WriteAsync(MetricPoint point, CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        var lane = LaneOf(point);
        await _lanes[lane].Writer.WriteAsync(point, cancellationToken);
        Interlocked.Increment(ref _accepted[lane]);
    }

    /// <summary>Completes when every point queued before the call is in the database.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var targets = _accepted.Select((_, lane) => Interlocked.Read(ref _accepted[lane])).ToArray();
        while (true)
        {
            Task progress;
            lock (_progressLock)
            {
                ThrowIfFaulted();
                if (targets.Select((target, lane) => Interlocked.Read(ref _persisted[lane]) >= target).All(done => done))
                {
                    return;
                }
                progress = _progress.Task;
            }
            await progress.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }
        await Task.WhenAll(_flushers);
        ThrowIfFaulted();
    }

    private int LaneOf(in MetricPoint point) =>
        _lanes.Length == 1 ? 0 : (HashCode.Combine(point.ExperimentId, point.Name) & int.MaxValue) % _lanes.Length;

    private async Task FlushLoopAsync(int lane)
    {
        var reader = _lanes[lane].Reader;
        var batch = new List<MetricPoint>(_batchSize);
        NpgsqlConnection? connection = null;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (batch.Count < _batchSize && reader.TryRead(out var point))
                {
                    batch.Add(point);
                }
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        connection ??= await _dataSource.OpenConnectionAsync();
                        var inserted = await MetricBatchWriter.WriteAsync(connection, batch);
                        Interlocked.Add(ref _inserted, inserted);
                        break;
                    }
                    catch (Exception) when (attempt < MaxAttempts)
                    {
                        // The batch is idempotent, so retrying it on a fresh connection is safe.
                        if (connection is not null)
                        {
                            await connection.DisposeAsync();
                            connection = null;
                        }
                        await Task.Delay(TimeSpan.FromMilliseconds(100 << attempt));
                    }
                }
                Advance(lane, batch.Count);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            lock (_progressLock)
            {
                _fault ??= ex;
                _progress.TrySetException(ex);
            }
            foreach (var other in _lanes)
            {
                other.Writer.TryComplete(ex);
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
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

    private void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new InvalidOperationException("The metric writer failed to write to the database.", fault);
        }
    }

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
