namespace ElectraLab.Storage;

public sealed class StorageOptions
{
    /// <summary>The configuration key every ElectraLab process reads its database from.</summary>
    public const string ConnectionStringName = "ElectraLab";

    public required string ConnectionString { get; init; }

    /// <summary>Points the metric writer buffers before <see cref="Metrics.MetricWriter.Write"/> has to wait.</summary>
    public int MetricBufferCapacity { get; init; } = 262_144;

    /// <summary>Background flushers, each with its own connection and its share of the series and the buffer.</summary>
    public int MetricFlushers { get; init; } = 2;

    /// <summary>The most points one COPY batch carries.</summary>
    public int MetricBatchSize { get; init; } = 65_536;

    /// <summary>
    /// Where the metric writer puts points that do not fit its memory buffer while the database is away (a folder of
    /// the silo's own); null: the writer waits for room instead (back-pressure on training).
    /// </summary>
    public string? MetricSpillDirectory { get; init; }

    /// <summary>How long disposing the metric writer waits for the database before leaving points in the spill folder.</summary>
    public TimeSpan MetricDrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checkpoint chunk size: big enough for COPY to stream well, small enough to bound memory.</summary>
    public int CheckpointChunkBytes { get; init; } = 4 * 1024 * 1024;
}
