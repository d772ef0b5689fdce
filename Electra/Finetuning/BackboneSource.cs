// Where a fine-tuning run's encoder comes from. Accepted:
//   - a Hugging Face folder (config.json + model.safetensors) of any ELECTRA architecture: the backbone tensors
//     ("electra.*", or unprefixed for a bare ElectraModel) are loaded and every head is ignored;
//   - a pre-training run folder (`electralab pretrain --out`): its exported hf/discriminator when the run finished,
//     else the latest checkpoints/step-N;
//   - one checkpoint folder (state.json + model.safetensors): the kept model's "discriminator.electra.*" tensors,
//     with the model config rebuilt from the resolved pre-training config in state.json.
// Only the path and the tensor prefix are kept; each seed reads the weights again, so nothing large stays alive.
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Config.Pretraining;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Finetuning;

public sealed record BackboneSource(
    /// <summary>What the user named (a folder), or "random-init".</summary>
    string Path,
    /// <summary>"hf", "pretraining-run/hf", "pretraining-run/checkpoint", "checkpoint" or "random-init".</summary>
    string Kind,
    ElectraConfig Config,
    /// <summary>The safetensors file with the weights; null for random init.</summary>
    string? WeightsFile,
    /// <summary>Prefix of the backbone's tensors in <see cref="WeightsFile"/>.</summary>
    string TensorPrefix,
    /// <summary>A vocabulary found with the model (vocab.txt beside it, or the pre-training run's), or null.</summary>
    string? VocabFile,
    /// <summary>The casing the model was trained with (tokenizer_config.json do_lower_case, or the run's dataset), when known.</summary>
    bool? LowerCase,
    /// <summary>Whether lower-casing also strips accents (tokenizer_config.json strip_accents), when known.</summary>
    bool? StripAccents = null,
    /// <summary>The longest input the model was trained on (tokenizer_config.json model_max_length, or the run's max_seq_length).</summary>
    int? ModelMaxLength = null)
{
    public const string PretrainingConfigFile = "pretraining_config.json";

    /// <summary>A backbone initialised from scratch (truncated normal, as pre-training starts): tests and baselines.</summary>
    public static BackboneSource RandomInit(ElectraConfig config, string? vocabFile = null) =>
        new("random-init", "random-init", config.Validate(), null, "", vocabFile, null);

    /// <summary>Recognises the folder, reads its config and checks that its weights file holds an ELECTRA backbone.</summary>
    public static BackboneSource Open(string path)
    {
        if (File.Exists(path)) throw new ArgumentException($"{path}: --model must be a folder (a Hugging Face model, a pre-training run or a checkpoint), not a file");
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such model folder");
        if (File.Exists(System.IO.Path.Combine(path, HfModelDirectory.ConfigFile))) return OpenHf(path, path, "hf", null);
        if (File.Exists(System.IO.Path.Combine(path, PretrainingCheckpoint.StateFile))) return OpenCheckpoint(path, path, "checkpoint", null);

        var exported = System.IO.Path.Combine(path, "hf", "discriminator");
        var runConfig = RunConfig(path);
        if (File.Exists(System.IO.Path.Combine(exported, HfModelDirectory.ConfigFile))) return OpenHf(exported, path, "pretraining-run/hf", runConfig);
        if (Directory.Exists(System.IO.Path.Combine(path, "checkpoints")))
        {
            var latest = PretrainingCheckpoint.Latest(path)
                ?? throw new InvalidDataException($"{path}: checkpoints/ holds no complete checkpoint (step-*/{PretrainingCheckpoint.StateFile})");
            return OpenCheckpoint(latest, path, "pretraining-run/checkpoint", runConfig);
        }
        throw new InvalidDataException($"{path}: not a model folder: expected {HfModelDirectory.ConfigFile} + {HfModelDirectory.WeightsFile} (Hugging Face), " +
            $"hf/discriminator/ or checkpoints/step-*/ (pre-training run), or {PretrainingCheckpoint.StateFile} + {PretrainingCheckpoint.ModelFile} (checkpoint)");
    }

    private static BackboneSource OpenHf(string folder, string named, string kind, PretrainingConfig? run)
    {
        var weights = System.IO.Path.Combine(folder, HfModelDirectory.WeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{folder}: has {HfModelDirectory.ConfigFile} but no {HfModelDirectory.WeightsFile}", weights);
        var config = ElectraConfig.Load(System.IO.Path.Combine(folder, HfModelDirectory.ConfigFile));
        string prefix;
        using (var file = new SafetensorsReader(weights))
        {
            var names = file.Entries.Keys.ToList();
            prefix = names.Any(n => n.StartsWith("electra.embeddings.", StringComparison.Ordinal)) ? "electra."
                : names.Any(n => n.StartsWith("embeddings.", StringComparison.Ordinal)) ? ""
                : throw new InvalidDataException($"{weights}: no ELECTRA backbone tensors (electra.embeddings.* or embeddings.*)");
        }
        // The folder's own tokenizer files first (read as transformers reads them), else the run's dataset vocabulary.
        if (HfTokenizerFiles.Read(folder) is { } tokenizer)
            return new BackboneSource(named, kind, config, weights, prefix, tokenizer.VocabFile, tokenizer.DoLowerCase, tokenizer.StripAccents, tokenizer.ModelMaxLength);
        var (runVocab, runLower, runStrip) = run is null ? (null, (bool?)null, (bool?)null) : VocabOf(run);
        return new BackboneSource(named, kind, config, weights, prefix, runVocab, runLower, runStrip, run?.MaxSeqLength);
    }

    private static BackboneSource OpenCheckpoint(string folder, string named, string kind, PretrainingConfig? run)
    {
        var weights = System.IO.Path.Combine(folder, PretrainingCheckpoint.ModelFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{folder}: checkpoint has no {PretrainingCheckpoint.ModelFile}", weights);
        PretrainingConfig config;
        try
        {
            var state = PretrainingCheckpoint.ReadState(folder);
            config = PretrainingConfigLoader.FromJson(state.Config.ToJsonString());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NullReferenceException)
        {
            config = run ?? throw new InvalidDataException($"{folder}: {PretrainingCheckpoint.StateFile} holds no readable pre-training config and no {PretrainingConfigFile} is beside the run", e);
        }
        const string prefix = "discriminator.electra.";
        using (var file = new SafetensorsReader(weights))
        {
            if (!file.Entries.Keys.Any(n => n.StartsWith(prefix + "embeddings.", StringComparison.Ordinal)))
                throw new InvalidDataException($"{weights}: no '{prefix}embeddings.*' tensors (not an ElectraLab pre-training checkpoint)");
        }
        var (vocab, lower, strip) = VocabOf(config);
        return new BackboneSource(named, kind, config.DiscriminatorConfig(), weights, prefix, vocab, lower, strip, config.MaxSeqLength);
    }

    private static PretrainingConfig? RunConfig(string run)
    {
        var path = System.IO.Path.Combine(run, PretrainingConfigFile);
        return File.Exists(path) ? PretrainingConfigLoader.FromJson(File.ReadAllText(path)) : null;
    }

    /// <summary>The vocabulary the run's dataset was built with (its token ids are what the model saw), else the run's vocab_file.</summary>
    private static (string? Vocab, bool? LowerCase, bool? StripAccents) VocabOf(PretrainingConfig config)
    {
        if (config.DataDir is { } dir && File.Exists(System.IO.Path.Combine(dir, PretrainingDataset.ManifestFile)))
        {
            var dataset = PretrainingDataset.Load(dir);
            var vocab = System.IO.Path.IsPathRooted(dataset.VocabFile) ? dataset.VocabFile : System.IO.Path.Combine(dir, dataset.VocabFile);
            if (File.Exists(vocab)) return (vocab, dataset.LowerCase, dataset.StripAccents);
        }
        if (config.VocabFile is { } v && File.Exists(v)) return (v, config.DoLowerCase, null);
        return (null, config.DoLowerCase, null);
    }

    /// <summary>
    /// Fills <paramref name="backbone"/> with the source's weights (random init: a truncated normal drawn from the
    /// current torch seed). Every backbone tensor must be in the file; heads and other models' tensors are ignored.
    /// </summary>
    public void LoadInto(ElectraModel backbone)
    {
        if (WeightsFile is null)
        {
            ElectraInit.TruncatedNormal(backbone, Config.InitializerRange);
            return;
        }
        HfWeights.Load(backbone, WeightsFile, TensorPrefix,
            ignoreExtra: name => !name.StartsWith(TensorPrefix, StringComparison.Ordinal) || HfWeights.IsOptionalBuffer(name));
    }

    public string Describe() => WeightsFile is null ? $"random init ({Config.NumHiddenLayers} layers, hidden {Config.HiddenSize})"
        : $"{Kind} {Path} ({Config.NumHiddenLayers} layers, hidden {Config.HiddenSize}, embedding {Config.EmbeddingSize})";
}
