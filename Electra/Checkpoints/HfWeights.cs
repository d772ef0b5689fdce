// Moves weights between a TorchSharp module and a safetensors file by Hugging Face state-dict names.
// Field names of the modules are HF's, so module.state_dict() keys are exactly HF's keys.
using TorchSharp;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Checkpoints;

public static class HfWeights
{
    /// <summary>Buffers that HF releases up to 4.30 saved and later ones do not; optional on load.</summary>
    public static bool IsOptionalBuffer(string name) => name.EndsWith("position_ids", StringComparison.Ordinal);

    /// <summary>
    /// Loads every tensor of <paramref name="module"/> from the file, where the file names the module's tensor
    /// <c>k</c> as <c>filePrefix + k</c>. A tensor the module needs and the file lacks is an error naming it, as is a
    /// shape mismatch. Tensors of the file that the module does not have are an error unless
    /// <paramref name="ignoreExtra"/> accepts their name (e.g. a discriminator head when only the backbone is wanted).
    /// </summary>
    public static void Load(nn.Module module, SafetensorsReader file, string filePrefix = "", Func<string, bool>? ignoreExtra = null,
        Func<string, bool>? allowMissing = null)
    {
        var state = module.state_dict();
        var missing = new List<string>();
        foreach (var (key, tensor) in state)
        {
            var name = filePrefix + key;
            if (!file.Entries.ContainsKey(name))
            {
                if (!IsOptionalBuffer(key) && !(allowMissing?.Invoke(key) ?? false)) missing.Add(name);
                continue;
            }
            file.ReadInto(name, tensor);
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"{file.Path}: missing tensor{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}");

        var unexpected = file.Entries.Keys
            .Where(name => !name.StartsWith(filePrefix, StringComparison.Ordinal) || !state.ContainsKey(name[filePrefix.Length..]))
            .Where(name => !(ignoreExtra?.Invoke(name) ?? false))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{file.Path}: tensor{(unexpected.Count > 1 ? "s" : "")} {string.Join(", ", unexpected.Select(u => $"'{u}'"))} not used by {module.GetName()}");
    }

    public static void Load(nn.Module module, string path, string filePrefix = "", Func<string, bool>? ignoreExtra = null,
        Func<string, bool>? allowMissing = null)
    {
        using var file = new SafetensorsReader(path);
        Load(module, file, filePrefix, ignoreExtra, allowMissing);
    }

    /// <summary>Writes the module's state dict under HF names (tied weights appear under both keys, as HF saves them).</summary>
    public static void Save(nn.Module module, string path, string filePrefix = "", IReadOnlyDictionary<string, string>? metadata = null)
    {
        var state = module.state_dict();
        SafetensorsWriter.Write(path, state.Select(kv => KeyValuePair.Create(filePrefix + kv.Key, kv.Value)),
            metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
    }
}
