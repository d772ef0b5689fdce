using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectraLab.Storage.Datasets;

/// <summary>What a prepared dataset holds, read from its dataset.json (and checked against its files).</summary>
public sealed record DatasetSummary(long Examples, long Tokens, int MaxSeqLength, bool LowerCase, string VocabSha256, int VocabSize,
    IReadOnlyList<string> Shards);

/// <summary>
/// A prepared dataset (`electralab data prepare`) as one shareable artifact: a tar of dataset.json, vocab.txt and the
/// shards the manifest names, nothing else, in a canonical form (entries sorted by name, fixed mode, owner and time,
/// the manifest pointing at "vocab.txt"), so the same content always has the same SHA-256 whichever machine or folder
/// it was packed from. That hash is the dataset's identity: pushed datasets and local data_dir folders are compared by it.
/// </summary>
public static class DatasetPackage
{
    public const string ManifestFile = "dataset.json";
    public const string VocabFile = "vocab.txt";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Reads and checks a dataset folder: the manifest parses, the vocabulary is there with the SHA-256 the manifest
    /// records, and every shard it lists is a file of the folder. <paramref name="vocabMayBeOutside"/> lets a local folder
    /// name its vocabulary by absolute path (as `data prepare` writes it); an uploaded one must carry its own.
    /// </summary>
    /// <exception cref="InvalidDataException">the folder is not a complete prepared dataset; the message says why.</exception>
    public static DatasetSummary Describe(string folder, bool vocabMayBeOutside) => Read(folder, vocabMayBeOutside).Summary;

    /// <summary>Writes the canonical tar of <paramref name="folder"/> to <paramref name="output"/> and returns its SHA-256 (lower-case hex).</summary>
    public static async Task<string> WriteAsync(string folder, Stream output, bool vocabMayBeOutside, CancellationToken cancellationToken = default)
    {
        var (summary, manifest, vocabPath) = Read(folder, vocabMayBeOutside);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var hashing = new HashingStream(output, hash))
        await using (var writer = new TarWriter(hashing, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var files = summary.Shards.Select(s => (Name: s, Path: Path.Combine(folder, s)))
                .Append((Name: VocabFile, Path: vocabPath))
                .Append((Name: ManifestFile, Path: ""))
                .OrderBy(f => f.Name, StringComparer.Ordinal);
            foreach (var (name, path) in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    Uid = 0,
                    Gid = 0,
                    UserName = "",
                    GroupName = "",
                };
                await using Stream data = name == ManifestFile
                    ? new MemoryStream(manifest)
                    : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                entry.DataStream = data;
                await writer.WriteEntryAsync(entry, cancellationToken);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The canonical SHA-256 of a local dataset folder, without writing the tar anywhere.</summary>
    public static Task<string> HashAsync(string folder, CancellationToken cancellationToken = default) =>
        WriteAsync(folder, Stream.Null, vocabMayBeOutside: true, cancellationToken);

    /// <summary>
    /// Unpacks an uploaded dataset tar into <paramref name="folder"/>: only regular files with plain names (no folders,
    /// links or paths), each name once, at most <paramref name="maxEntries"/> of them. Anything else is refused before a
    /// byte of it is written, so a hostile tar cannot reach outside the folder.
    /// </summary>
    public static async Task UnpackAsync(Stream tar, string folder, int maxEntries, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes) continue;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                throw new InvalidDataException($"tar entry '{entry.Name}' is a {entry.EntryType}; a dataset holds regular files only");
            if (!IsPlainFileName(entry.Name))
                throw new InvalidDataException($"tar entry '{entry.Name}' is not a plain file name; a dataset's files sit at the tar's root");
            if (!seen.Add(entry.Name)) throw new InvalidDataException($"tar entry '{entry.Name}' appears twice");
            if (seen.Count > maxEntries) throw new InvalidDataException($"a dataset holds at most {maxEntries} files");
            await using var target = new FileStream(Path.Combine(folder, entry.Name), FileMode.CreateNew, FileAccess.Write);
            if (entry.DataStream is { } data) await data.CopyToAsync(target, cancellationToken);
        }
    }

    private static bool IsPlainFileName(string name) =>
        name.Length is > 0 and <= 255 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0;

    private static (DatasetSummary Summary, byte[] Manifest, string VocabPath) Read(string folder, bool vocabMayBeOutside)
    {
        var manifestPath = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifestPath)) throw new InvalidDataException($"no {ManifestFile}: not a dataset prepared by `electralab data prepare`");
        JsonObject manifest;
        try
        {
            manifest = JsonNode.Parse(File.ReadAllBytes(manifestPath)) as JsonObject
                ?? throw new InvalidDataException($"{ManifestFile} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{ManifestFile} is not valid JSON: {e.Message.Split(" LineNumber:")[0]}");
        }

        var vocabFile = Text(manifest, "vocab_file");
        var vocabPath = Path.IsPathRooted(vocabFile) ? vocabFile : Path.Combine(folder, vocabFile);
        if (!vocabMayBeOutside && !(IsPlainFileName(vocabFile) && !Path.IsPathRooted(vocabFile)))
            throw new InvalidDataException($"{ManifestFile}: vocab_file '{vocabFile}' must be a file of the dataset ({VocabFile})");
        if (!File.Exists(vocabPath)) throw new InvalidDataException($"the vocabulary '{vocabFile}' named by {ManifestFile} is missing");
        var vocabSha = Text(manifest, "vocab_sha256");
        string actualSha;
        using (var vocab = File.OpenRead(vocabPath)) actualSha = Convert.ToHexStringLower(SHA256.HashData(vocab));
        if (actualSha != vocabSha)
            throw new InvalidDataException($"the vocabulary '{vocabFile}' has SHA-256 {actualSha}, but {ManifestFile} says {vocabSha}: it changed since the dataset was prepared");

        if (manifest["shards"] is not JsonArray shardNodes || shardNodes.Count == 0)
            throw new InvalidDataException($"{ManifestFile}: key 'shards' must list the shard files");
        var shards = new List<string>();
        foreach (var node in shardNodes)
        {
            var file = node is JsonObject shard ? Text(shard, "file") : throw new InvalidDataException($"{ManifestFile}: each shard must be an object with a 'file'");
            if (!IsPlainFileName(file) || file is ManifestFile or VocabFile)
                throw new InvalidDataException($"{ManifestFile}: shard '{file}' is not a file name in the dataset folder");
            if (!File.Exists(Path.Combine(folder, file))) throw new InvalidDataException($"shard '{file}' named by {ManifestFile} is missing");
            if (shards.Contains(file, StringComparer.Ordinal)) throw new InvalidDataException($"{ManifestFile}: shard '{file}' is listed twice");
            shards.Add(file);
        }

        manifest["vocab_file"] = VocabFile;
        var summary = new DatasetSummary(Number(manifest, "example_count"), Number(manifest, "token_count"),
            (int)Number(manifest, "max_seq_length"), manifest["lower_case"]?.GetValueKind() == JsonValueKind.True,
            vocabSha, (int)Number(manifest, "vocab_size"), shards);
        return (summary, JsonSerializer.SerializeToUtf8Bytes(manifest, Indented), vocabPath);
    }

    private static string Text(JsonObject node, string key) =>
        node[key] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new InvalidDataException($"{ManifestFile}: key '{key}' must be a non-empty string");

    private static long Number(JsonObject node, string key) =>
        node[key] is JsonValue value && value.TryGetValue<long>(out var number) && number >= 0 && number <= int.MaxValue * 1024L
            ? number
            : throw new InvalidDataException($"{ManifestFile}: key '{key}' must be a non-negative whole number");

    /// <summary>Passes writes through to the target while hashing them.</summary>
    private sealed class HashingStream(Stream target, IncrementalHash hash) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => target.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => target.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            target.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            await target.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
