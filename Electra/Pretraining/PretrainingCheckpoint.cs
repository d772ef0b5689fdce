// A pre-training checkpoint: everything needed to continue bit-for-bit. One folder per step,
//   model.safetensors      every weight of generator and discriminator (fp32)
//   optimizer.safetensors  Adam moments m/<name>, v/<name>
//   state.json             step, resolved config, data position, RNG scheme, train FLOPs so far
// written into a temporary folder and renamed, so a folder named step-N is always complete.
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Config;

namespace ElectraLab.Electra.Pretraining;

public sealed record CheckpointState(
    long Step,
    string DataPosition,
    double TrainFlops,
    /// <summary>"per-step": every step reseeds from (seed, step), so the seed is the whole RNG state.</summary>
    string RngScheme,
    long Seed,
    JsonObject Config,
    DateTimeOffset SavedAt);

public static class PretrainingCheckpoint
{
    public const string Prefix = "step-";
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string StateFile = "state.json";

    public static string Folder(string root, long step) => Path.Combine(root, "checkpoints", $"{Prefix}{step:D8}");

    /// <summary>The newest complete checkpoint folder under <paramref name="root"/>, or null.</summary>
    public static string? Latest(string root)
    {
        var dir = Path.Combine(root, "checkpoints");
        if (!Directory.Exists(dir)) return null;
        return Directory.GetDirectories(dir, Prefix + "*")
            .Where(d => File.Exists(Path.Combine(d, StateFile)))
            .OrderBy(d => d, StringComparer.Ordinal)
            .LastOrDefault();
    }

    public static CheckpointState ReadState(string folder)
    {
        var path = Path.Combine(folder, StateFile);
        var node = JsonFiles.ParseNode(path) ?? throw new InvalidDataException($"{path}: empty checkpoint state");
        try { return node.Deserialize<CheckpointState>() ?? throw new InvalidDataException($"{path}: empty checkpoint state"); }
        catch (JsonException e) { throw JsonFiles.WrongType(path, e); }
    }

    /// <summary>Writes with <paramref name="write"/> into a temporary folder, then renames it into place.</summary>
    public static string Write(string root, long step, Action<string> write, CheckpointState state, int keep)
    {
        var final = Folder(root, step);
        var tmp = final + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(tmp);
        write(tmp);
        File.WriteAllText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        Prune(root, keep);
        return final;
    }

    /// <summary>Keeps the newest <paramref name="keep"/> checkpoints (official keep_checkpoint_max).</summary>
    private static void Prune(string root, int keep)
    {
        var dir = Path.Combine(root, "checkpoints");
        var all = Directory.GetDirectories(dir, Prefix + "*").OrderBy(d => d, StringComparer.Ordinal).ToList();
        foreach (var stale in all.Where(d => d.Contains(".tmp-", StringComparison.Ordinal))) Directory.Delete(stale, true);
        var complete = all.Where(d => !d.Contains(".tmp-", StringComparison.Ordinal)).ToList();
        foreach (var old in complete.Take(Math.Max(0, complete.Count - keep))) Directory.Delete(old, true);
    }
}
