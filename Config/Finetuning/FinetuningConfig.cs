// Fine-tuning hyperparameters under the official code's names (configure_finetuning.py, E-ftcfg), plus a few
// ElectraLab keys. Defaults here are the task-independent ones; FinetuningDefaults fills in what depends on the
// task and the model size (ELECTRA-REFERENCE §1.3), and `--set key=value` overrides any key.
using System.Text.Json;
using System.Text.Json.Serialization;
using ElectraLab.Config.Modeling;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Config.Finetuning;

public sealed record FinetuningConfig
{
    /// <summary>small | base | large: picks learning_rate and layerwise_lr_decay (detected from hidden_size when not set).</summary>
    [JsonPropertyName("model_size")] public string ModelSize { get; init; } = "small";

    /// <summary>Peak LR. Paper Table 7: 3e-4 small, 1e-4 base, 5e-5 large (the code's default is 1e-4 for small too).</summary>
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 3e-4;

    /// <summary>0.8 small/base, 0.9 large (Paper-T7; E-ftcfg L56, L151). 1.0 switches the decay off.</summary>
    [JsonPropertyName("layerwise_lr_decay")] public double LayerwiseLrDecay { get; init; } = 0.8;

    /// <summary>10 for RTE and STS-B, 2 for SQuAD, 3 otherwise (E-ftcfg L136-146).</summary>
    [JsonPropertyName("num_train_epochs")] public double NumTrainEpochs { get; init; } = 3;

    [JsonPropertyName("train_batch_size")] public int TrainBatchSize { get; init; } = 32;
    [JsonPropertyName("eval_batch_size")] public int EvalBatchSize { get; init; } = 32;

    /// <summary>128 for GLUE, 512 for SQuAD (E-ftcfg L72, L139); 384 is BERT's SQuAD setting and fits smaller GPUs.</summary>
    [JsonPropertyName("max_seq_length")] public int MaxSeqLength { get; init; } = 128;

    /// <summary>Warmup is 10% of the steps, multiplied into the linear decay (E-opt L36-45).</summary>
    [JsonPropertyName("warmup_proportion")] public double WarmupProportion { get; init; } = 0.1;

    /// <summary>The code's 0.01 (E-ftcfg L55); the paper's Table 7 says 0. Not applied to LayerNorm and biases.</summary>
    [JsonPropertyName("weight_decay_rate")] public double WeightDecayRate { get; init; } = 0.01;

    // SQuAD (E-ftcfg L79-92).
    [JsonPropertyName("doc_stride")] public int DocStride { get; init; } = 128;
    [JsonPropertyName("max_query_length")] public int MaxQueryLength { get; init; } = 64;
    [JsonPropertyName("n_best_size")] public int NBestSize { get; init; } = 20;
    [JsonPropertyName("max_answer_length")] public int MaxAnswerLength { get; init; } = 30;

    // Tokenization: the vocabulary is found next to the model when not given.
    [JsonPropertyName("vocab_file")] public string? VocabFile { get; init; }
    [JsonPropertyName("do_lower_case")] public bool DoLowerCase { get; init; } = true;

    // ElectraLab keys.
    /// <summary>SQuAD training JSON when --data names the dev file (a --data folder holds train-*.json itself).</summary>
    [JsonPropertyName("train_file")] public string? TrainFile { get; init; }

    /// <summary>Use only the first N training examples of the file (before MRPC/STS-B doubling): quick runs and CI.</summary>
    [JsonPropertyName("max_train_examples")] public int? MaxTrainExamples { get; init; }

    /// <summary>The fine-tuning seed when no seed list is given.</summary>
    [JsonPropertyName("seed")] public long Seed { get; init; } = 1;

    /// <summary>A progress line (and one loss read, a device sync) every this many steps.</summary>
    [JsonPropertyName("log_every")] public int LogEvery { get; init; } = 50;

    /// <summary>Resamples and RNG seed of the bootstrap interval of the median over seeds.</summary>
    [JsonPropertyName("bootstrap_resamples")] public int BootstrapResamples { get; init; } = 10000;
    [JsonPropertyName("bootstrap_seed")] public long BootstrapSeed { get; init; } = 12345;

    /// <summary>CPU threads for libtorch; 0 = libtorch's default.</summary>
    [JsonPropertyName("num_threads")] public int NumThreads { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "auto";

    /// <summary>
    /// auto (bf16-mixed where it measures faster: CUDA with bf16, a CPU with AVX512-BF16 or AMX; fp32 elsewhere),
    /// fp32 or bf16-mixed. A run resolves auto on its device (PrecisionSelection) before it trains.
    /// </summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = Devices.PrecisionChoice.Auto;

    /// <summary>Written by the run, never read: what `precision: auto` became there and why ("auto -> fp32 (...)").</summary>
    [JsonPropertyName("precision_choice"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PrecisionChoiceNote { get; init; }

    /// <summary>This config with <paramref name="choice"/>'s precision, and the choice recorded when it was auto.</summary>
    public FinetuningConfig WithPrecision(Devices.PrecisionChoice choice) => this with
    {
        Precision = choice.Resolved,
        PrecisionChoiceNote = choice.Requested == Devices.PrecisionChoice.Auto ? choice.Description : PrecisionChoiceNote,
    };

    /// <summary>Checks every value; throws naming the offending key.</summary>
    public FinetuningConfig Validate()
    {
        Require(Modeling.ElectraPresets.Names.Contains(ModelSize), "model_size", $"'{ModelSize}' is not one of small, base, large");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "learning_rate", "must be positive and finite");
        Require(LayerwiseLrDecay > 0 && LayerwiseLrDecay <= 1, "layerwise_lr_decay", "must be in (0, 1]");
        Require(NumTrainEpochs > 0 && NumTrainEpochs <= 1000, "num_train_epochs", "must be in (0, 1000]");
        Require(TrainBatchSize > 0, "train_batch_size", "must be positive");
        Require(EvalBatchSize > 0, "eval_batch_size", "must be positive");
        Require(MaxSeqLength >= 8 && MaxSeqLength <= 4096, "max_seq_length", "must be in [8, 4096]");
        Require(WarmupProportion >= 0 && WarmupProportion <= 1, "warmup_proportion", "must be in [0, 1]");
        Require(WeightDecayRate >= 0 && double.IsFinite(WeightDecayRate), "weight_decay_rate", "must be ≥ 0 and finite");
        Require(DocStride > 0, "doc_stride", "must be positive");
        Require(MaxQueryLength > 0, "max_query_length", "must be positive");
        Require(NBestSize > 0, "n_best_size", "must be positive");
        Require(MaxAnswerLength > 0, "max_answer_length", "must be positive");
        Require(MaxTrainExamples is null or > 0, "max_train_examples", "must be positive");
        Require(LogEvery > 0, "log_every", "must be positive");
        Require(BootstrapResamples >= 100, "bootstrap_resamples", "must be at least 100");
        Require(NumThreads >= 0, "num_threads", "must be ≥ 0");
        Devices.PrecisionChoice.Validate(Precision);
        return this;
    }

    static void Require(bool ok, string key, string message)
    {
        if (!ok) throw new ArgumentException($"config key '{key}' {message}");
    }

    // Relaxed escaping: a config file is read by people and JSON parsers, never embedded in HTML, so
    // "auto -> fp32" stays readable instead of becoming "auto -\u003E fp32".
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
