namespace ElectraLab.Electra.Data.Pretraining;

/// <summary>Counters the builder's workers bump and a progress display polls (any thread).</summary>
public sealed class BuildProgress
{
    private long _bytes;
    private long _examples;
    private int _files;

    public long TotalBytes { get; internal set; }
    public int TotalFiles { get; internal set; }
    public long Bytes => Interlocked.Read(ref _bytes);
    public long Examples => Interlocked.Read(ref _examples);
    public int Files => Volatile.Read(ref _files);

    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);
    internal void AddExamples(long examples) => Interlocked.Add(ref _examples, examples);
    internal void FileDone() => Interlocked.Increment(ref _files);
}
