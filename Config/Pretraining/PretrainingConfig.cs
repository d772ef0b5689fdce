// Pre-training hyperparameters under the official code's names (configure_pretraining.py), with the paper's
// defaults for ELECTRA-Small (ELECTRA-REFERENCE §1.2). A researcher's official config carries over key for key.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Config.Pretraining;

public sealed record PretrainingConfig
{
    /// <summary>small | base | large: the discriminator preset (E-tu get_bert_config).</summary>
    [JsonPropertyName("model_size")] public string ModelSize { get; init; } = "small";

    /// <summary>HF config fields applied over the preset (E-cfg model_hparam_overrides), e.g. num_hidden_layers.</summary>
    [JsonPropertyName("model_hparam_overrides")] public Dictionary<string, JsonElement> ModelHparamOverrides { get; init; } = new();

    /// <summary>Null = the preset's (128 for small, hidden for base/large; E-cfg L118-119).</summary>
    [JsonPropertyName("embedding_size")] public int? EmbeddingSize { get; init; }

    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    [JsonPropertyName("do_lower_case")] public bool DoLowerCase { get; init; } = true;

    /// <summary>Generator width as a fraction of the discriminator's (Paper-T6: 1/4 for small).</summary>
    [JsonPropertyName("generator_hidden_size")] public double GeneratorHiddenSize { get; init; } = 0.25;

    /// <summary>Generator depth as a fraction; the paper never shrinks depth (1.0).</summary>
    [JsonPropertyName("generator_layers")] public double GeneratorLayers { get; init; } = 1.0;

    [JsonPropertyName("mask_prob")] public double MaskProb { get; init; } = 0.15;

    /// <summary>Null = int((mask_prob + 0.005) · max_seq_length) (E-cfg L106-107): 19 at 128.</summary>
    [JsonPropertyName("max_predictions_per_seq")] public int? MaxPredictionsPerSeq { get; init; }

    [JsonPropertyName("gen_weight")] public double GenWeight { get; init; } = 1.0;

    /// <summary>λ = 50, picked from {1, 10, 20, 50, 100} (Paper App. A).</summary>
    [JsonPropertyName("disc_weight")] public double DiscWeight { get; init; } = 50.0;

    [JsonPropertyName("temperature")] public double Temperature { get; init; } = 1.0;

    /// <summary>Force the sample to differ from the original (E-cfg L76-78); off in the paper.</summary>
    [JsonPropertyName("disallow_correct")] public bool DisallowCorrect { get; init; }

    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 5e-4;
    [JsonPropertyName("lr_decay_power")] public double LrDecayPower { get; init; } = 1.0;
    [JsonPropertyName("weight_decay_rate")] public double WeightDecayRate { get; init; } = 0.01;
    [JsonPropertyName("num_warmup_steps")] public int NumWarmupSteps { get; init; } = 10000;
    [JsonPropertyName("num_train_steps")] public int NumTrainSteps { get; init; } = 1000000;
    [JsonPropertyName("train_batch_size")] public int TrainBatchSize { get; init; } = 128;
    [JsonPropertyName("max_seq_length")] public int MaxSeqLength { get; init; } = 128;
    [JsonPropertyName("save_checkpoints_steps")] public int SaveCheckpointsSteps { get; init; } = 1000;
    [JsonPropertyName("keep_checkpoint_max")] public int KeepCheckpointMax { get; init; } = 5;

    // Official switches that select variants; they agree with (and can stand in for) the ElectraLab switches below.
    /// <summary>False = BERT baseline (E-run L87-93); same as objective "mlm".</summary>
    [JsonPropertyName("electra_objective")] public bool ElectraObjective { get; init; } = true;
    /// <summary>False = tie every weight (E-run L87-93); same as weight_sharing "all".</summary>
    [JsonPropertyName("untied_generator")] public bool UntiedGenerator { get; init; } = true;
    /// <summary>True = no embedding sharing (E-cfg L71); same as weight_sharing "none".</summary>
    [JsonPropertyName("untied_generator_embeddings")] public bool UntiedGeneratorEmbeddings { get; init; }

    // ElectraLab switches.
    [JsonPropertyName("objective")] public string Objective { get; init; } = "electra";
    [JsonPropertyName("weight_sharing")] public string WeightSharing { get; init; } = "embeddings";
    [JsonPropertyName("training_algorithm")] public string TrainingAlgorithm { get; init; } = "joint";

    /// <summary>Two-stage only: generator steps before the discriminator starts; null = half of num_train_steps.</summary>
    [JsonPropertyName("two_stage_generator_steps")] public int? TwoStageGeneratorSteps { get; init; }

    /// <summary>
    /// auto (bf16-mixed where it measures faster: CUDA with bf16, a CPU with AVX512-BF16 or AMX; fp32 elsewhere),
    /// fp32 or bf16-mixed. A run resolves auto on its device (PrecisionSelection) before it builds the model.
    /// </summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = Devices.PrecisionChoice.Auto;

    /// <summary>Written by the run, never read: what `precision: auto` became there and why ("auto -> fp32 (...)").</summary>
    [JsonPropertyName("precision_choice"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PrecisionChoiceNote { get; init; }

    /// <summary>Seeds weights, masking, sampling, dropout and data order.</summary>
    [JsonPropertyName("seed")] public long Seed { get; init; } = 1;

    /// <summary>A folder written by `electralab data prepare` (official: pretrain_tfrecords).</summary>
    [JsonPropertyName("data_dir")] public string? DataDir { get; init; }
    [JsonPropertyName("vocab_file")] public string? VocabFile { get; init; }

    /// <summary>A dataset pushed into the cluster (`electralab data push`): "NAME" or "NAME@sha"; instead of data_dir.</summary>
    [JsonPropertyName("dataset")] public string? Dataset { get; init; }

    [JsonPropertyName("log_every")] public int LogEvery { get; init; } = 100;
    /// <summary>CPU threads for libtorch; 0 = libtorch's default.</summary>
    [JsonPropertyName("num_threads")] public int NumThreads { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "auto";

    [JsonIgnore] public Objective ObjectiveKind => OptionNames.ParseObjective(Objective);
    [JsonIgnore] public WeightSharing SharingKind => OptionNames.ParseSharing(WeightSharing);
    [JsonIgnore] public TrainingAlgorithm AlgorithmKind => OptionNames.ParseAlgorithm(TrainingAlgorithm);
    /// <summary>The resolved precision; asking before `auto` was resolved on a device is a programming error.</summary>
    [JsonIgnore] public Precision PrecisionKind => Precision == Devices.PrecisionChoice.Auto
        ? throw new InvalidOperationException("precision 'auto' is resolved on the run's device first (PrecisionSelection, WithPrecision)")
        : OptionNames.ParsePrecision(Precision);

    /// <summary>This config with <paramref name="choice"/>'s precision, and the choice recorded when it was auto.</summary>
    public PretrainingConfig WithPrecision(Devices.PrecisionChoice choice) => this with
    {
        Precision = choice.Resolved,
        PrecisionChoiceNote = choice.Requested == Devices.PrecisionChoice.Auto ? choice.Description : PrecisionChoiceNote,
    };

    /// <summary>Whether a run leaves a generator of its own to export (BERT-style MLM has none; "all" shares the encoder).</summary>
    [JsonIgnore] public bool ExportsGenerator => ObjectiveKind != Pretraining.Objective.Mlm && SharingKind != Pretraining.WeightSharing.All;

    [JsonIgnore] public int MaxPredictions => MaxPredictionsPerSeq ?? (int)((MaskProb + 0.005) * MaxSeqLength);
    [JsonIgnore] public int GeneratorSteps => TwoStageGeneratorSteps ?? NumTrainSteps / 2;

    /// <summary>The discriminator's model config: preset, then embedding_size, vocab_size and overrides.</summary>
    public ElectraConfig DiscriminatorConfig()
    {
        var config = ElectraPresets.Discriminator(ModelSize, VocabSize);
        if (EmbeddingSize is { } e) config = config with { EmbeddingSize = e };
        if (ModelHparamOverrides.Count > 0)
        {
            var json = config.ToJson();
            foreach (var (key, value) in ModelHparamOverrides) json[key] = JsonNode.Parse(value.GetRawText());
            config = ElectraConfig.FromJson(json);
        }
        return config with { MaxPositionEmbeddings = Math.Max(config.MaxPositionEmbeddings, MaxSeqLength) };
    }

    /// <summary>The generator: shrunk width/FFN/heads (E-run get_generator_config), optionally fewer layers.</summary>
    public ElectraConfig GeneratorConfig()
    {
        var disc = DiscriminatorConfig();
        var gen = ElectraPresets.Generator(disc, GeneratorHiddenSize);
        return gen with { NumHiddenLayers = Math.Max(1, (int)Math.Round(disc.NumHiddenLayers * GeneratorLayers)) };
    }

    /// <summary>Checks every value and the combinations; throws naming the offending key.</summary>
    public PretrainingConfig Validate()
    {
        _ = ObjectiveKind; _ = SharingKind; _ = AlgorithmKind; Devices.PrecisionChoice.Validate(Precision);
        Require(ElectraPresets.Names.Contains(ModelSize), "model_size", $"'{ModelSize}' is not one of small, base, large");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(EmbeddingSize is null or > 0, "embedding_size", "must be positive");
        Require(MaskProb > 0 && MaskProb < 1, "mask_prob", "must be in (0, 1)");
        Require(GeneratorHiddenSize > 0 && GeneratorHiddenSize <= 1, "generator_hidden_size", "must be in (0, 1]");
        Require(GeneratorLayers > 0 && GeneratorLayers <= 1, "generator_layers", "must be in (0, 1]");
        Require(Temperature > 0 && double.IsFinite(Temperature), "temperature", "must be positive and finite");
        Require(GenWeight >= 0 && double.IsFinite(GenWeight), "gen_weight", "must be ≥ 0 and finite");
        Require(DiscWeight >= 0 && double.IsFinite(DiscWeight), "disc_weight", "must be ≥ 0 and finite");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", "must be positive and finite");
        Require(LrDecayPower >= 0 && double.IsFinite(LrDecayPower), "lr_decay_power", "must be ≥ 0 and finite");
        Require(WeightDecayRate >= 0 && double.IsFinite(WeightDecayRate), "weight_decay_rate", "must be ≥ 0 and finite");
        Require(NumWarmupSteps >= 0, "num_warmup_steps", "must be ≥ 0");
        // 0 is allowed: the no-pre-training baseline, its initial weights fine-tuned like any checkpoint.
        Require(NumTrainSteps >= 0, "num_train_steps", "must be ≥ 0 (0: no pre-training, the initial weights are evaluated)");
        Require(TrainBatchSize > 0, "train_batch_size", "must be positive");
        Require(MaxSeqLength >= 8 && MaxSeqLength <= 4096, "max_seq_length", "must be in [8, 4096]");
        Require(MaxPredictions >= 1 && MaxPredictions <= MaxSeqLength, "max_predictions_per_seq", "must be in [1, max_seq_length]");
        Require(SaveCheckpointsSteps > 0, "save_checkpoints_steps", "must be positive");
        Require(KeepCheckpointMax > 0, "keep_checkpoint_max", "must be positive");
        Require(LogEvery > 0, "log_every", "must be positive");
        Require(NumThreads >= 0, "num_threads", "must be ≥ 0");
        Require(Dataset is null || DataDir is null, "dataset", "and data_dir both name the data: give one");
        if (Dataset is not null)
        {
            try { _ = DatasetReference.Parse(Dataset); }
            catch (ArgumentException e) { Require(false, "dataset", e.Message); }
        }
        Require(ElectraObjective || ObjectiveKind == Pretraining.Objective.Mlm, "electra_objective",
            $"false means the BERT baseline, which contradicts objective '{Objective}'");
        Require(UntiedGenerator || SharingKind == Pretraining.WeightSharing.All, "untied_generator",
            $"false means tying all weights, which contradicts weight_sharing '{WeightSharing}'");
        Require(!UntiedGeneratorEmbeddings || SharingKind == Pretraining.WeightSharing.None, "untied_generator_embeddings",
            $"true means no sharing, which contradicts weight_sharing '{WeightSharing}'");
        if (SharingKind == Pretraining.WeightSharing.All)
            Require(GeneratorHiddenSize == 1.0 && GeneratorLayers == 1.0, "weight_sharing", "'all' needs equal sizes (generator_hidden_size 1.0, generator_layers 1.0)");
        if (AlgorithmKind == Pretraining.TrainingAlgorithm.TwoStage)
        {
            Require(GeneratorHiddenSize == 1.0 && GeneratorLayers == 1.0, "training_algorithm",
                "'two-stage' initialises the discriminator from the generator, so it needs generator_hidden_size 1.0");
            Require(ObjectiveKind == Pretraining.Objective.Electra, "training_algorithm", "'two-stage' applies to the electra objective only");
            Require(GeneratorSteps > 0 && GeneratorSteps < NumTrainSteps, "two_stage_generator_steps", "must be in (0, num_train_steps)");
        }
        Require(TwoStageGeneratorSteps is null or > 0, "two_stage_generator_steps", "must be positive");
        foreach (var key in ModelHparamOverrides.Keys)
            Require(ElectraConfig.FieldNames.Contains(key), $"model_hparam_overrides.{key}",
                $"is not a model field (expected one of {string.Join(", ", ElectraConfig.FieldNames)})");
        ElectraConfig discriminator;
        try
        {
            discriminator = DiscriminatorConfig().Validate();
        }
        catch (InvalidDataException e) when (e.Data["field"] is string field)
        {
            var key = ModelHparamOverrides.ContainsKey(field) ? $"model_hparam_overrides.{field}"
                : field is "vocab_size" or "embedding_size" ? field : "model_hparam_overrides";
            throw new ArgumentException($"config key '{key}' {e.Data["problem"]}", e);
        }
        if (ObjectiveKind == Pretraining.Objective.Electra)
        {
            try
            {
                ElectraPresets.Generator(discriminator, GeneratorHiddenSize).Validate();
            }
            catch (InvalidDataException e) when (e.Data["field"] is string field)
            {
                throw new ArgumentException($"config key 'generator_hidden_size' gives a generator whose {field} {e.Data["problem"]}", e);
            }
        }
        return this;
    }

    static void Require(bool ok, string key, string message)
    {
        if (!ok) throw new ArgumentException($"config key '{key}' {message}");
    }

    /// <summary>The official flags and the ElectraLab switches resolved to one consistent form.</summary>
    public PretrainingConfig Normalized()
    {
        var c = this;
        if (!c.ElectraObjective && c.Objective == "electra") c = c with { Objective = "mlm" };
        if (!c.UntiedGenerator && c.WeightSharing == "embeddings") c = c with { WeightSharing = "all" };
        if (c.UntiedGeneratorEmbeddings && c.WeightSharing == "embeddings") c = c with { WeightSharing = "none" };
        c.Validate();
        c = c with
        {
            ElectraObjective = c.ObjectiveKind != Pretraining.Objective.Mlm,
            UntiedGenerator = c.SharingKind != Pretraining.WeightSharing.All,
            UntiedGeneratorEmbeddings = c.SharingKind == Pretraining.WeightSharing.None,
        };
        return c.Validate();
    }

    // Relaxed escaping: a config file is read by people and JSON parsers, never embedded in HTML, so
    // "auto -> fp32" stays readable instead of becoming "auto -\u003E fp32".
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
