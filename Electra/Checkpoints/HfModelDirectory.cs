// A Hugging Face model folder: config.json + model.safetensors. This is both what researchers download
// (google/electra-*) and what ElectraLab writes, so importing validates and normalises a folder and exporting
// writes one transformers' from_pretrained accepts.
using System.Text.Json.Nodes;
using ElectraLab.Electra.Modeling;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Checkpoints;

public static class HfModelDirectory
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    public static readonly IReadOnlyList<string> Architectures =
    [
        "ElectraForPreTraining", "ElectraForMaskedLM", "ElectraForSequenceClassification", "ElectraForQuestionAnswering", "ElectraModel",
    ];

    /// <summary>The architecture a folder holds: config.json "architectures"[0], else guessed from the tensor names.</summary>
    public static string DetectArchitecture(ElectraConfig config, SafetensorsReader weights)
    {
        if (config.Extra["architectures"] is JsonArray { Count: > 0 } list)
        {
            if (list[0] is not JsonValue first || !first.TryGetValue<string>(out var named))
                throw new InvalidDataException($"config.json architectures: {list[0]?.ToJsonString() ?? "null"} is not a class name");
            if (!Architectures.Contains(named))
                throw new InvalidDataException($"config.json architectures: '{named}' is not supported ({string.Join(", ", Architectures)})");
            return named;
        }
        var names = weights.Entries.Keys;
        if (names.Any(n => n.StartsWith("discriminator_predictions.", StringComparison.Ordinal))) return "ElectraForPreTraining";
        if (names.Any(n => n.StartsWith("generator_lm_head.", StringComparison.Ordinal))) return "ElectraForMaskedLM";
        if (names.Any(n => n.StartsWith("classifier.", StringComparison.Ordinal))) return "ElectraForSequenceClassification";
        if (names.Any(n => n.StartsWith("qa_outputs.", StringComparison.Ordinal))) return "ElectraForQuestionAnswering";
        if (names.Any(n => n.StartsWith("embeddings.", StringComparison.Ordinal))) return "ElectraModel";
        throw new InvalidDataException($"{weights.Path}: cannot tell which ELECTRA model these tensors belong to");
    }

    public static nn.Module Create(string architecture, ElectraConfig config) => architecture switch
    {
        "ElectraForPreTraining" => new ElectraForPreTraining(config),
        "ElectraForMaskedLM" => new ElectraForMaskedLM(config),
        "ElectraForSequenceClassification" => new ElectraForSequenceClassification(config, config.NumLabels),
        "ElectraForQuestionAnswering" => new ElectraForQuestionAnswering(config),
        "ElectraModel" => new ElectraModel(config),
        _ => throw new ArgumentException($"architecture '{architecture}' is not supported"),
    };

    /// <summary>Loads a folder into the model its config names, checking every tensor name and shape.</summary>
    public static (nn.Module Model, ElectraConfig Config, string Architecture) Load(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{directory}: no {ConfigFile}", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{directory}: no {WeightsFile}", weightsPath);
        var config = ElectraConfig.Load(configPath);
        using var weights = new SafetensorsReader(weightsPath);
        var architecture = DetectArchitecture(config, weights);
        var model = Create(architecture, config);
        try
        {
            HfWeights.Load(model, weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, config, architecture);
    }

    /// <summary>Writes config.json (with "architectures") and model.safetensors.</summary>
    public static void Save(string directory, nn.Module model, ElectraConfig config, string architecture)
    {
        Directory.CreateDirectory(directory);
        var json = config.ToJson();
        json["architectures"] = new JsonArray(architecture);
        File.WriteAllText(Path.Combine(directory, ConfigFile), json.ToJsonString(new() { WriteIndented = true }) + "\n");
        HfWeights.Save(model, Path.Combine(directory, WeightsFile));
    }
}
