// The dataset folder's manifest (dataset.json): what was built, from what, with which vocabulary and seed, and the
// shards in reading order with their example counts, so a reader can plan epochs without opening every shard.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElectraLab.Config;

namespace ElectraLab.Electra.Data.Pretraining;

public sealed record PretrainingShard(string File, long Examples, long Tokens, string Source);

public sealed record PretrainingSource(string Path, long Bytes, long Examples);

public sealed record PretrainingDataset(
    int FormatVersion,
    int MaxSeqLength,
    long Seed,
    bool LowerCase,
    bool StripAccents,
    int MaxInputCharsPerWord,
    string VocabFile,
    string VocabSha256,
    int VocabSize,
    long ExampleCount,
    long TokenCount,
    IReadOnlyList<PretrainingShard> Shards,
    IReadOnlyList<PretrainingSource> Sources)
{
    public const string ManifestFile = "dataset.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static PretrainingDataset Load(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{directory}: not a pre-training dataset (no {ManifestFile})", path);
        if (JsonFiles.ParseNode(path) is not JsonObject node) throw new InvalidDataException($"{path}: expected a JSON object (the dataset manifest)");
        PretrainingDataset dataset;
        try { dataset = node.Deserialize<PretrainingDataset>(Json)!; }
        catch (JsonException e) { throw JsonFiles.WrongType(path, e); }
        if (dataset.FormatVersion != ShardFormat.Version)
            throw new InvalidDataException($"{path}: format version {dataset.FormatVersion}, expected {ShardFormat.Version}");
        if (dataset.MaxSeqLength is < 1 or > ushort.MaxValue)
            throw new InvalidDataException($"{path}: max_seq_length {dataset.MaxSeqLength} is outside [1, {ushort.MaxValue}]");
        if (string.IsNullOrEmpty(dataset.VocabFile)) throw new InvalidDataException($"{path}: key 'vocab_file' is missing");
        if (dataset.VocabSize < 1) throw new InvalidDataException($"{path}: vocab_size {dataset.VocabSize} must be positive");
        if (dataset.Shards is null || dataset.Shards.Any(s => s is null || string.IsNullOrEmpty(s.File) || s.Examples < 0))
            throw new InvalidDataException($"{path}: key 'shards' must list each shard's file and example count");
        // A shard name is a file in this folder, never a path that leads out of it.
        if (dataset.Shards.FirstOrDefault(s => Path.GetFileName(s.File) != s.File) is { } outside)
            throw new InvalidDataException($"{path}: shard '{outside.File}' is not a file name in the dataset folder");
        if (dataset.Shards.Sum(s => s.Examples) != dataset.ExampleCount)
            throw new InvalidDataException($"{path}: shard counts do not add up to example_count");
        return dataset;
    }

    /// <summary>Opens every shard's header and index (not its records) and checks them against this manifest, so a
    /// missing or corrupt shard is reported before a run spends time building its model.</summary>
    public void VerifyShards(string directory)
    {
        foreach (var shard in Shards)
        {
            using var reader = new ShardReader(Path.Combine(directory, shard.File));
            if (reader.Count != shard.Examples || reader.MaxSeqLength != MaxSeqLength)
                throw new InvalidDataException($"{reader.Path}: {reader.Count} examples of up to {reader.MaxSeqLength} tokens, but {ManifestFile} says {shard.Examples} of up to {MaxSeqLength}");
        }
    }

    public void Save(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }
}
