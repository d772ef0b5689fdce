using ElectraLab.Storage.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Logs;

/// <summary>One line for a job attempt's log, as the silo hands it over.</summary>
public readonly record struct JobLogEntry(Guid ExperimentId, Guid JobId, Guid DispatchId, long Seq, DateTimeOffset Time, string Source, string Line);

/// <summary>
/// Keeps job attempts' logs in PostgreSQL (<c>job_log_lines</c>), bounded: a line is cut at <see cref="MaxLineLength"/>
/// characters and an attempt keeps its last <see cref="MaxLinesPerAttempt"/> lines (about 2 MB at most).
///
/// A log must never cost a job anything: <see cref="Append"/> only queues (no I/O, never blocks, never throws), and a
/// background loop writes batches through <see cref="DatabaseRetry"/>. While PostgreSQL is away the queue holds up to
/// <see cref="Capacity"/> lines; past that the oldest are dropped and counted in <see cref="Dropped"/>. A batch is
/// idempotent on (dispatch, seq), so one retried after it had in fact committed writes nothing twice.
/// </summary>
public sealed class JobLogWriter : IAsyncDisposable
{
    public const int MaxLineLength = 2000;
    public const int MaxLinesPerAttempt = 1000;
    public const int Capacity = 20_000;
    private const int BatchSize = 500;
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(250);
    private static readonly RetryPolicy WritePolicy = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1));

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly LinkedList<JobLogEntry> _queue = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Task _loop;
    private long _appended;
    private long _written;
    private long _dropped;
    private long _failedBatches;

    public JobLogWriter(NpgsqlDataSource dataSource, ILogger<JobLogWriter>? logger = null)
    {
        _dataSource = dataSource;
        _logger = logger ?? NullLogger<JobLogWriter>.Instance;
        _loop = Task.Run(LoopAsync);
        StorageInstruments.Track(this);
    }

    /// <summary>Lines handed over.</summary>
    public long Appended => Interlocked.Read(ref _appended);

    /// <summary>Lines stored (or found already stored).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Lines waiting to be written.</summary>
    public long Buffered
    {
        get
        {
            lock (_lock) return _queue.Count;
        }
    }

    /// <summary>Lines dropped because the queue was full (the database away for long) or a batch failed for good.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Write attempts that failed (each is retried on the next round while its lines are queued).</summary>
    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    /// <summary>Queues a line. No I/O; safe from any thread; never throws for a full queue or an absent database.</summary>
    public void Append(JobLogEntry entry)
    {
        var line = entry.Line.Length > MaxLineLength ? entry.Line[..MaxLineLength] + "…" : entry.Line;
        // PostgreSQL text cannot hold NUL.
        if (line.Contains('\0')) line = line.Replace('\0', ' ');
        Interlocked.Increment(ref _appended);
        lock (_lock)
        {
            _queue.AddLast(entry with { Line = line });
            if (_queue.Count > Capacity)
            {
                _queue.RemoveFirst();
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    /// <summary>Writes what is queued now; returns false if the database could not take it (the lines stay queued).</summary>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                var nodes = new List<LinkedListNode<JobLogEntry>>(BatchSize);
                lock (_lock)
                {
                    for (var node = _queue.First; node is not null && nodes.Count < BatchSize; node = node.Next) nodes.Add(node);
                }
                if (nodes.Count == 0) return true;
                var batch = nodes.Select(n => n.Value).ToList();
                try
                {
                    await DatabaseRetry.RunAsync(ct => WriteAsync(batch, ct), WritePolicy, _dataSource, _logger, "writing job log lines", cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _failedBatches);
                    if (TransientDatabaseErrors.IsTransient(e)) return false;
                    // Not weather: a bug or bad data. Drop this batch rather than retry it forever.
                    _logger.LogWarning(e, "Dropping {Count} job log lines that could not be written", batch.Count);
                    Interlocked.Add(ref _dropped, batch.Count);
                }
                lock (_lock)
                {
                    // A node the capacity bound removed meanwhile has no list any more.
                    foreach (var node in nodes)
                    {
                        if (node.List is not null) _queue.Remove(node);
                    }
                }
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task WriteAsync(List<JobLogEntry> batch, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO job_log_lines (experiment_id, job_id, dispatch_id, seq, time, source, line)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::timestamptz[], $6::text[], $7::text[])
            ON CONFLICT (dispatch_id, seq) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.ExperimentId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.JobId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.DispatchId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Seq).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Time).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Source).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.Line).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        // Keep each attempt's last MaxLinesPerAttempt lines (the (dispatch_id, seq) index serves both halves).
        await using (var trim = new NpgsqlCommand("""
            DELETE FROM job_log_lines l
            USING (SELECT dispatch_id, max(seq) AS top FROM job_log_lines WHERE dispatch_id = ANY($1) GROUP BY dispatch_id) m
            WHERE l.dispatch_id = m.dispatch_id AND l.seq <= m.top - $2
            """, connection, transaction))
        {
            trim.Parameters.Add(new NpgsqlParameter { Value = batch.Select(e => e.DispatchId).Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            trim.Parameters.Add(new NpgsqlParameter { Value = (long)MaxLinesPerAttempt, NpgsqlDbType = NpgsqlDbType.Bigint });
            await trim.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        Interlocked.Add(ref _written, batch.Count);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await FlushAsync(_stop.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Writing job log lines failed; they stay queued");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        StorageInstruments.Untrack(this);
        await _stop.CancelAsync();
        await _loop;
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await FlushAsync(last.Token);
        }
        catch (OperationCanceledException)
        {
            // Shutting down with the database away: what is queued is lost, as the bound allows.
        }
        _stop.Dispose();
        _writing.Dispose();
    }
}
