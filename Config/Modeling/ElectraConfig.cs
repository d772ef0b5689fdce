// The model hyperparameters, read from and written to Hugging Face's config.json (ElectraConfig field names),
// so a google/electra-* folder loads as it is and an exported one loads in transformers. Fields this type does
// not know are kept verbatim and written back, so a round trip never loses what another tool put there.
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Config;

namespace ElectraLab.Config.Modeling;

public sealed record ElectraConfig
{
    /// <summary>BERT's uncased WordPiece vocabulary (E-cfg: vocab_size 30522).</summary>
    public int VocabSize { get; init; } = 30522;

    /// <summary>Width of the token, position and type embeddings. Small uses 128 (E-cfg), base/large use hidden.</summary>
    public int EmbeddingSize { get; init; } = 128;

    public int HiddenSize { get; init; } = 256;
    public int NumHiddenLayers { get; init; } = 12;

    /// <summary>Head size is 64 in every paper preset (E-tu: max(1, hidden // 64)).</summary>
    public int NumAttentionHeads { get; init; } = 4;

    /// <summary>4 × hidden in every paper preset (E-tu).</summary>
    public int IntermediateSize { get; init; } = 1024;

    /// <summary>Exact erf GELU, as the official code and HF's "gelu".</summary>
    public string HiddenAct { get; init; } = "gelu";

    public double HiddenDropoutProb { get; init; } = 0.1;
    public double AttentionProbsDropoutProb { get; init; } = 0.1;
    public int MaxPositionEmbeddings { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;

    /// <summary>Std of the truncated-normal initialiser (E-model).</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary>tf.contrib layer_norm's variance epsilon (TF-LN); HF keeps it.</summary>
    public double LayerNormEps { get; init; } = 1e-12;

    public int PadTokenId { get; init; }
    public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary>Dropout before the classifier; null means hidden_dropout_prob (HF semantics).</summary>
    public double? ClassifierDropout { get; init; }

    /// <summary>Number of labels of a classification head (HF derives it from id2label).</summary>
    public int NumLabels { get; init; } = 2;

    /// <summary>Every field of the source file this type does not model, written back unchanged.</summary>
    public JsonObject Extra { get; init; } = new();

    public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>The config.json fields this type models (the keys model_hparam_overrides may set).</summary>
    public static IReadOnlyList<string> FieldNames => KnownKeys;

    static readonly string[] KnownKeys =
    [
        "vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob",
        "max_position_embeddings", "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id",
        "position_embedding_type", "classifier_dropout", "num_labels",
    ];

    /// <summary>
    /// Throws with the offending field named when the shape of the model is impossible. The upper bounds are far
    /// above any ELECTRA (large: hidden 1024, 24 layers) and keep derived sizes (4 × hidden, vocab × hidden) in range.
    /// </summary>
    public ElectraConfig Validate()
    {
        Require(VocabSize > 0 && VocabSize <= 1 << 24, "vocab_size", "must be in [1, 16777216]");
        Require(EmbeddingSize > 0 && EmbeddingSize <= 1 << 16, "embedding_size", "must be in [1, 65536]");
        Require(HiddenSize > 0 && HiddenSize <= 1 << 16, "hidden_size", "must be in [1, 65536]");
        Require(NumHiddenLayers > 0 && NumHiddenLayers <= 1024, "num_hidden_layers", "must be in [1, 1024]");
        Require(NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads == 0, "num_attention_heads",
            $"must be positive and divide hidden_size {HiddenSize}");
        Require(IntermediateSize > 0 && IntermediateSize <= 1 << 20, "intermediate_size", "must be in [1, 1048576]");
        Require(HiddenAct is "gelu" or "gelu_new" or "relu", "hidden_act", $"'{HiddenAct}' is not supported (gelu, gelu_new, relu)");
        Require(HiddenDropoutProb is >= 0 and < 1, "hidden_dropout_prob", "must be in [0, 1)");
        Require(AttentionProbsDropoutProb is >= 0 and < 1, "attention_probs_dropout_prob", "must be in [0, 1)");
        Require(ClassifierDropout is null or (>= 0 and < 1), "classifier_dropout", "must be in [0, 1)");
        Require(PositionEmbeddingType == "absolute", "position_embedding_type", $"'{PositionEmbeddingType}' is not supported (absolute)");
        Require(MaxPositionEmbeddings > 0 && MaxPositionEmbeddings <= 1 << 20, "max_position_embeddings", "must be in [1, 1048576]");
        Require(TypeVocabSize > 0 && TypeVocabSize <= 1 << 16, "type_vocab_size", "must be in [1, 65536]");
        Require(InitializerRange > 0 && double.IsFinite(InitializerRange), "initializer_range", "must be positive and finite");
        Require(LayerNormEps > 0 && LayerNormEps < 1, "layer_norm_eps", "must be in (0, 1)");
        Require(PadTokenId >= 0 && PadTokenId < VocabSize, "pad_token_id", "must be a token id");
        Require(NumLabels > 0 && NumLabels <= 1 << 16, "num_labels", "must be in [1, 65536]");
        return this;
    }

    static void Require(bool ok, string field, string message)
    {
        if (!ok) throw FieldError(field, message);
    }

    /// <summary>The error for one field; its Data carries "field" and "problem" for callers that name it their own way.</summary>
    static InvalidDataException FieldError(string field, string problem, Exception? inner = null) =>
        new($"config field '{field}' {problem}", inner) { Data = { ["field"] = field, ["problem"] = problem } };

    public static ElectraConfig Load(string path)
    {
        var node = JsonFiles.ParseNode(path) as JsonObject
            ?? throw new InvalidDataException($"{path}: config.json must hold a JSON object");
        try { return FromJson(node); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    public static ElectraConfig FromJson(JsonObject json)
    {
        var extra = (JsonObject)json.DeepClone();
        foreach (var key in KnownKeys) extra.Remove(key);

        int Int(string key, int fallback) => Read(json, key, n => n.GetValue<int>(), fallback);
        double Dbl(string key, double fallback) => Read(json, key, n => n.GetValue<double>(), fallback);
        string Str(string key, string fallback) => Read(json, key, n => n.GetValue<string>(), fallback);

        var defaults = new ElectraConfig();
        var hidden = Int("hidden_size", defaults.HiddenSize);
        int numLabels = json["id2label"] is JsonObject labels ? labels.Count : Int("num_labels", defaults.NumLabels);
        return new ElectraConfig
        {
            VocabSize = Int("vocab_size", defaults.VocabSize),
            // HF's ElectraConfig defaults embedding_size to 128 when the key is absent.
            EmbeddingSize = Int("embedding_size", defaults.EmbeddingSize),
            HiddenSize = hidden,
            NumHiddenLayers = Int("num_hidden_layers", defaults.NumHiddenLayers),
            NumAttentionHeads = Int("num_attention_heads", defaults.NumAttentionHeads),
            IntermediateSize = Int("intermediate_size", defaults.IntermediateSize),
            HiddenAct = Str("hidden_act", defaults.HiddenAct),
            HiddenDropoutProb = Dbl("hidden_dropout_prob", defaults.HiddenDropoutProb),
            AttentionProbsDropoutProb = Dbl("attention_probs_dropout_prob", defaults.AttentionProbsDropoutProb),
            MaxPositionEmbeddings = Int("max_position_embeddings", defaults.MaxPositionEmbeddings),
            TypeVocabSize = Int("type_vocab_size", defaults.TypeVocabSize),
            InitializerRange = Dbl("initializer_range", defaults.InitializerRange),
            LayerNormEps = Dbl("layer_norm_eps", defaults.LayerNormEps),
            PadTokenId = Int("pad_token_id", defaults.PadTokenId),
            PositionEmbeddingType = Str("position_embedding_type", defaults.PositionEmbeddingType),
            ClassifierDropout = json["classifier_dropout"] is JsonValue v ? Read(json, "classifier_dropout", n => n.GetValue<double>(), 0.0) : null,
            NumLabels = numLabels,
            Extra = extra,
        }.Validate();
    }

    static T Read<T>(JsonObject json, string key, Func<JsonNode, T> get, T fallback)
    {
        if (!json.TryGetPropertyValue(key, out var node) || node is null) return fallback;
        try { return get(node); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw FieldError(key, $"has the wrong type ({node.ToJsonString()})", e);
        }
    }

    public JsonObject ToJson()
    {
        var json = (JsonObject)Extra.DeepClone();
        json["model_type"] = "electra";
        json["vocab_size"] = VocabSize;
        json["embedding_size"] = EmbeddingSize;
        json["hidden_size"] = HiddenSize;
        json["num_hidden_layers"] = NumHiddenLayers;
        json["num_attention_heads"] = NumAttentionHeads;
        json["intermediate_size"] = IntermediateSize;
        json["hidden_act"] = HiddenAct;
        json["hidden_dropout_prob"] = HiddenDropoutProb;
        json["attention_probs_dropout_prob"] = AttentionProbsDropoutProb;
        json["max_position_embeddings"] = MaxPositionEmbeddings;
        json["type_vocab_size"] = TypeVocabSize;
        json["initializer_range"] = InitializerRange;
        json["layer_norm_eps"] = LayerNormEps;
        json["pad_token_id"] = PadTokenId;
        json["position_embedding_type"] = PositionEmbeddingType;
        json["classifier_dropout"] = ClassifierDropout;
        // HF derives num_labels from id2label; write one that agrees when the source had none or a different count.
        if (json["id2label"] is not JsonObject labels || labels.Count != NumLabels)
        {
            var id2label = new JsonObject();
            var label2id = new JsonObject();
            for (int i = 0; i < NumLabels; i++)
            {
                id2label[i.ToString()] = $"LABEL_{i}";
                label2id[$"LABEL_{i}"] = i;
            }
            json["id2label"] = id2label;
            json["label2id"] = label2id;
        }
        return json;
    }

    public void Save(string path) =>
        File.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
