namespace ElectraLab.Electra.Data.Pretraining;

/// <summary>What `data prepare` builds. Defaults follow build_pretraining_dataset.py's flags.</summary>
public sealed record PretrainingBuildOptions
{
    /// <summary>Text files, one sentence per line, a blank line between documents; read in this order.</summary>
    public required IReadOnlyList<string> InputFiles { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>--max-seq-length: 128, the ELECTRA-Small setting (E-build default, E-cfg L82).</summary>
    public int MaxSeqLength { get; init; } = 128;

    /// <summary>Seeds every file's random stream; 0 to 2^32-1 so each file's stream is a CPython random.seed value.</summary>
    public long Seed { get; init; } = 12345;

    /// <summary>At most this many examples per shard file; an input file fills one or more shards of its own.</summary>
    public int ShardSize { get; init; } = 100_000;

    /// <summary>Files processed at once. The output does not depend on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}
