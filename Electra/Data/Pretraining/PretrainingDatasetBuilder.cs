// `data prepare`: raw text (one sentence per line, blank line between documents) -> shards of pre-training
// examples, as build_pretraining_dataset.py builds them (E-build; ExampleBuilder.cs holds the example logic).
//
// Parallel over input files, deterministic whatever the thread count: file i (in sorted order) gets its own
// ExampleBuilder with a CPython-compatible generator seeded random.seed(seed + i * 2^32) and writes its own shards,
// so no output depends on which worker ran it or when. The official script instead shares one builder (and its
// pending target length) across all files of a process and seeds nothing; see the report for that deviation.
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Electra.Data.Pretraining;

public static class PretrainingDatasetBuilder
{
    public static PretrainingDataset Build(WordPieceTokenizer tokenizer, string vocabFile, PretrainingBuildOptions options,
        BuildProgress? progress = null, CancellationToken cancellationToken = default)
    {
        Validate(options, tokenizer);
        var output = Path.GetFullPath(options.OutputDirectory);
        PrepareOutput(output);
        progress ??= new BuildProgress();
        progress.TotalFiles = options.InputFiles.Count;
        progress.TotalBytes = options.InputFiles.Sum(f => new FileInfo(f).Length);

        var perFile = new FileResult[options.InputFiles.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads), CancellationToken = cancellationToken };
        ParallelWork.Run(() => Parallel.For(0, options.InputFiles.Count, parallel, i =>
            perFile[i] = BuildFile(tokenizer, options, output, i, progress, cancellationToken)));

        var shards = perFile.SelectMany(r => r.Shards).ToList();
        long examples = shards.Sum(s => s.Examples);
        if (examples == 0)
        {
            PrepareOutput(output);
            throw new InvalidDataException($"{TextInputs.Describe(options.InputFiles)}: the input holds no text: no examples were built");
        }
        var dataset = new PretrainingDataset(
            ShardFormat.Version, options.MaxSeqLength, options.Seed, tokenizer.LowerCase, tokenizer.StripAccents, tokenizer.MaxInputCharsPerWord,
            Path.GetFullPath(vocabFile), tokenizer.VocabSha256, tokenizer.VocabSize, examples, shards.Sum(s => s.Tokens), shards,
            perFile.Select((r, i) => new PretrainingSource(options.InputFiles[i], r.Bytes, r.Shards.Sum(s => s.Examples))).ToList());
        dataset.Save(output);
        return dataset;
    }

    /// <summary>The examples of one text, built with file index 0's generator: for tests and inspection.</summary>
    public static IEnumerable<PretrainingExample> BuildExamples(WordPieceTokenizer tokenizer, IEnumerable<string> lines, int maxSeqLength, long seed, int fileIndex = 0)
    {
        var builder = new ExampleBuilder(maxSeqLength, tokenizer.ClsId, tokenizer.SepId, FileRandom(seed, fileIndex));
        var ids = new List<int>();
        var words = new List<string>();
        foreach (var line in lines)
        {
            var example = AddLine(builder, tokenizer, line, ids, words);
            if (example is not null) yield return example;
        }
        var last = builder.EndDocument();
        if (last is not null) yield return last;
    }

    /// <summary>random.seed(seed + fileIndex * 2^32): file 0 draws exactly what the official script's `random`
    /// would after random.seed(seed).</summary>
    public static PythonRandom FileRandom(long seed, int fileIndex) => new((ulong)seed + ((ulong)fileIndex << 32));

    private sealed record FileResult(List<PretrainingShard> Shards, long Bytes);

    private static FileResult BuildFile(WordPieceTokenizer tokenizer, PretrainingBuildOptions options, string output, int fileIndex,
        BuildProgress progress, CancellationToken cancellationToken)
    {
        var source = options.InputFiles[fileIndex];
        var builder = new ExampleBuilder(options.MaxSeqLength, tokenizer.ClsId, tokenizer.SepId, FileRandom(options.Seed, fileIndex));
        var shards = new List<PretrainingShard>();
        var ids = new List<int>();
        var words = new List<string>();
        ShardWriter? writer = null;
        long reported = 0;
        using var reader = new LineReader(source);

        void Emit(PretrainingExample example)
        {
            if (writer is null)
            {
                var name = $"shard-{fileIndex:D5}-{shards.Count:D4}{ShardFormat.Extension}";
                writer = new ShardWriter(Path.Combine(output, name), options.MaxSeqLength, tokenizer.VocabSize);
            }
            writer.Write(example);
            if (writer.Count == options.ShardSize) CloseShard();
        }

        void CloseShard()
        {
            if (writer is null) return;
            writer.Dispose();
            shards.Add(new PretrainingShard(Path.GetFileName(writer.Path), writer.Count, writer.TokenCount, source));
            progress.AddExamples(writer.Count);
            writer = null;
        }

        try
        {
            int lines = 0;
            while (reader.ReadLine() is { } line)
            {
                var example = AddLine(builder, tokenizer, line, ids, words);
                if (example is not null) Emit(example);
                if (++lines % 4096 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress.AddBytes(reader.BytesRead - reported);
                    reported = reader.BytesRead;
                }
            }
            // write_examples ends every file with add_line(""), flushing its last document.
            var last = builder.EndDocument();
            if (last is not null) Emit(last);
            CloseShard();
        }
        finally
        {
            writer?.Dispose();
        }
        progress.AddBytes(reader.BytesRead - reported);
        progress.FileDone();
        return new FileResult(shards, reader.BytesRead);
    }

    // write_examples strips each line; add_line treats an empty one as a document end (blanks_separate_docs,
    // the default) and tokenizes anything else as one sentence.
    private static PretrainingExample? AddLine(ExampleBuilder builder, WordPieceTokenizer tokenizer, string line, List<int> ids, List<string> words)
    {
        var stripped = Tokenization.BertText.PythonStrip(line);
        if (stripped.IsEmpty) return builder.EndDocument();
        ids.Clear();
        tokenizer.EncodeInto(stripped.Length == line.Length ? line : stripped.ToString(), ids, words);
        return builder.AddSentence(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
    }

    private static void Validate(PretrainingBuildOptions options, WordPieceTokenizer tokenizer)
    {
        if (options.InputFiles.Count == 0) throw new ArgumentException("no input files");
        foreach (var file in options.InputFiles)
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such file", file);
        if (options.MaxSeqLength is < 5 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxSeqLength, "max_seq_length must be in [5, 65535]");
        if (options.Seed is < 0 or > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(options), options.Seed, "seed must be in [0, 2^32-1]");
        if (options.ShardSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.ShardSize, "shard size must be positive");
        if (tokenizer.VocabSize < 5) throw new ArgumentException("vocabulary too small");
    }

    // Like the official utils.rmkdir, but only removes what a previous build wrote, never foreign files.
    private static void PrepareOutput(string output)
    {
        Directory.CreateDirectory(output);
        foreach (var file in Directory.EnumerateFiles(output, "*" + ShardFormat.Extension)) File.Delete(file);
        var manifest = Path.Combine(output, PretrainingDataset.ManifestFile);
        if (File.Exists(manifest)) File.Delete(manifest);
    }
}
