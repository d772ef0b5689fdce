using System.Threading.Channels;
using Npgsql;

namespace ElectraLab.Storage.Metrics;

/// <summary>
/// Buffers metric points in a bounded channel and writes them in batches from one background flusher.
/// <see cref="Write"/> never touches the database: it returns at once while the buffer has room and waits only when
/// it is full (back-pressure), so memory stays bounded. <see cref="DisposeAsync"/> drains the buffer.
/// </summary>
public sealed class MetricWriter : IAsyncDisposable
{
    private const int MaxAttempts = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<MetricPoint> _channel;
    private readonly int _batchSize;
    private readonly Task _flusher;
    private readonly Lock _progressLock = new();
    private long _accepted;
    private long _persisted;
    private long _inserted;
    private TaskCompletionSource _progress = NewProgress();
    private Exception? _fault;

    public MetricWriter(NpgsqlDataSource dataSource, StorageOptions options)
    {
        _dataSource = dataSource;
        _batchSize = options.MetricBatchSize;
        _channel = Channel.CreateBounded<MetricPoint>(new BoundedChannelOptions(options.MetricBufferCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _flusher = Task.Run(FlushLoopAsync);
    }

    /// <summary>Points that reached the database (replayed duplicates excluded).</summary>
    public long Inserted => Interlocked.Read(ref _inserted);

    /// <summary>Queues a point; waits only while the buffer is full. Safe from any thread.</summary>
    public void Write(in MetricPoint point)
    {
        ThrowIfFaulted();
        if (_channel.Writer.TryWrite(point))
        {
            Interlocked.Increment(ref _accepted);
            return;
        }
        WriteAsync(point).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask WriteAsync(MetricPoint point, CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        await _channel.Writer.WriteAsync(point, cancellationToken);
        Interlocked.Increment(ref _accepted);
    }

    /// <summary>Completes when every point queued before the call is in the database.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _accepted);
        while (true)
        {
            Task progress;
            lock (_progressLock)
            {
                ThrowIfFaulted();
                if (_persisted >= target)
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
        _channel.Writer.TryComplete();
        await _flusher;
        ThrowIfFaulted();
    }

    private async Task FlushLoopAsync()
    {
        var batch = new List<MetricPoint>(_batchSize);
        NpgsqlConnection? connection = null;
        try
        {
            while (await _channel.Reader.WaitToReadAsync())
            {
                while (batch.Count < _batchSize && _channel.Reader.TryRead(out var point))
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
                Advance(batch.Count);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            lock (_progressLock)
            {
                _fault = ex;
                _progress.TrySetException(ex);
            }
            _channel.Writer.TryComplete(ex);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private void Advance(int count)
    {
        TaskCompletionSource completed;
        lock (_progressLock)
        {
            _persisted += count;
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
