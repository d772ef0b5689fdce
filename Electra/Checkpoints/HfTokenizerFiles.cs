// The tokenizer half of a Hugging Face model folder: the three files transformers' slow BERT/ELECTRA tokenizer
// reads in `from_pretrained`, so `AutoTokenizer.from_pretrained(folder)` gives the WordPiece tokenizer the model was
// trained with. What was read in transformers (huggingface/transformers, src/transformers/):
//   - models/electra/tokenization_electra.py and models/bert/tokenization_bert.py: VOCAB_FILES_NAMES =
//     {"vocab_file": "vocab.txt"}; load_vocab takes one token per line (only the "\n" stripped), ids in line
//     order; save_vocabulary writes `token + "\n"` in id order. __init__ keywords and defaults: do_lower_case=True,
//     do_basic_tokenize=True, never_split=None, unk/sep/pad/cls/mask_token = "[UNK]" "[SEP]" "[PAD]" "[CLS]"
//     "[MASK]", tokenize_chinese_chars=True, strip_accents=None (None: strip accents exactly when lower-casing),
//     clean_up_tokenization_spaces=True.
//   - tokenization_utils_base.py: SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json", TOKENIZER_CONFIG_FILE =
//     "tokenizer_config.json". _from_pretrained loads tokenizer_config.json as the __init__ keywords (after popping
//     "tokenizer_class", which AutoTokenizer uses to pick the class), then sets each special_tokens_map.json entry
//     (a string, or a dict for an AddedToken) as a tokenizer attribute. PreTrainedTokenizerBase.__init__ pops
//     "model_max_length" (absent: VERY_LARGE_INTEGER = 1e30, i.e. no limit); save_pretrained writes it and
//     "tokenizer_class" into tokenizer_config.json.
// ElectraLab's WordPieceTokenizer is BERT's basic + WordPiece tokenizer with the five BERT special tokens, so only
// folders whose settings it can honour are read; anything else is an error naming the key, never a silent change
// of tokenization.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Config;

namespace ElectraLab.Electra.Checkpoints;

/// <summary>
/// A folder's tokenizer: its vocab.txt and the settings tokenizer_config.json records. <paramref name="ModelMaxLength"/>
/// is null when the folder sets no limit (transformers' default).
/// </summary>
public sealed record HfTokenizerSettings(string VocabFile, bool DoLowerCase, bool StripAccents, int? ModelMaxLength)
{
    /// <summary>The WordPiece tokenizer these settings describe (ELECTRA's 200-character word limit unless given).</summary>
    public WordPieceTokenizer CreateTokenizer(int maxInputCharsPerWord = WordPieceTokenizer.ElectraMaxInputCharsPerWord) =>
        WordPieceTokenizer.FromVocabFile(VocabFile, DoLowerCase, StripAccents, maxInputCharsPerWord);

    public string Describe() =>
        $"{(DoLowerCase ? "lower-cased" : "cased")}{(DoLowerCase && !StripAccents ? ", accents kept" : "")}, " +
        $"model_max_length {(ModelMaxLength is { } m ? m.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unlimited")}";
}

public static class HfTokenizerFiles
{
    public const string VocabFile = "vocab.txt";
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string SpecialTokensMapFile = "special_tokens_map.json";

    /// <summary>The class AutoTokenizer instantiates (tokenizer_config.json "tokenizer_class"); the fast variant reads the same files.</summary>
    public const string TokenizerClass = "ElectraTokenizer";

    public static readonly IReadOnlyList<string> FileNames = [VocabFile, TokenizerConfigFile, SpecialTokensMapFile];

    /// <summary>The special-token attributes of BERT/ELECTRA tokenizers and the tokens WordPieceTokenizer requires.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> SpecialTokens =
    [
        new("unk_token", "[UNK]"), new("sep_token", "[SEP]"), new("pad_token", "[PAD]"), new("cls_token", "[CLS]"), new("mask_token", "[MASK]"),
    ];

    /// <summary>tokenizer classes whose files and behaviour are BERT's WordPiece (the fast ones read the same three files).</summary>
    private static readonly string[] CompatibleClasses = ["ElectraTokenizer", "ElectraTokenizerFast", "BertTokenizer", "BertTokenizerFast"];

    /// <summary>Larger limits than this mean "none": transformers writes 1e30 (VERY_LARGE_INTEGER) for an unlimited tokenizer.</summary>
    private const double UnlimitedAbove = int.MaxValue;

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, VocabFile));

    /// <summary>
    /// Writes vocab.txt (the tokenizer's tokens in id order, so transformers' load_vocab gives every token the id
    /// ElectraLab gives it), tokenizer_config.json and special_tokens_map.json.
    /// </summary>
    public static void Write(string directory, WordPieceTokenizer tokenizer, int? modelMaxLength)
    {
        if (modelMaxLength is <= 0) throw new ArgumentOutOfRangeException(nameof(modelMaxLength), modelMaxLength, "model_max_length must be positive");
        Directory.CreateDirectory(directory);
        var vocab = new StringBuilder();
        for (int id = 0; id < tokenizer.VocabSize; id++)
        {
            var token = tokenizer.IdToToken(id);
            // Python reads text files with universal newlines, so a "\r" inside a token would split it in two.
            if (token.Contains('\r') || token.Contains('\n'))
                throw new InvalidDataException($"vocabulary token {id} contains a line break; transformers' load_vocab cannot read it back");
            vocab.Append(token).Append('\n');
        }
        WriteAtomically(Path.Combine(directory, VocabFile), vocab.ToString());

        var config = new JsonObject
        {
            ["tokenizer_class"] = TokenizerClass,
            ["do_lower_case"] = tokenizer.LowerCase,
            ["do_basic_tokenize"] = true,
            ["never_split"] = null,
        };
        foreach (var (key, token) in SpecialTokens) config[key] = token;
        config["tokenize_chinese_chars"] = true;
        // null = strip accents exactly when lower-casing, which is what WordPieceTokenizer does with stripAccents on.
        config["strip_accents"] = tokenizer.LowerCase && !tokenizer.StripAccents ? false : null;
        config["model_max_length"] = modelMaxLength;
        config["clean_up_tokenization_spaces"] = true;
        WriteAtomically(Path.Combine(directory, TokenizerConfigFile), config.ToJsonString(Indented) + "\n");

        var map = new JsonObject();
        foreach (var (key, token) in SpecialTokens) map[key] = token;
        WriteAtomically(Path.Combine(directory, SpecialTokensMapFile), map.ToJsonString(Indented) + "\n");
    }

    /// <summary>
    /// Reads a folder's tokenizer the way transformers' from_pretrained does (defaults for absent files and keys);
    /// null when the folder has no vocab.txt. Settings ElectraLab's tokenizer cannot honour are an error naming them.
    /// </summary>
    public static HfTokenizerSettings? Read(string directory)
    {
        var vocab = Path.Combine(directory, VocabFile);
        if (!File.Exists(vocab)) return null;
        var settings = new HfTokenizerSettings(vocab, DoLowerCase: true, StripAccents: true, ModelMaxLength: null);

        var configPath = Path.Combine(directory, TokenizerConfigFile);
        if (File.Exists(configPath))
        {
            var config = JsonFiles.ParseNode(configPath) as JsonObject
                ?? throw new InvalidDataException($"{configPath}: expected a JSON object");
            if (GetString(config, "tokenizer_class", configPath) is { } cls && !CompatibleClasses.Contains(cls))
                throw new InvalidDataException($"{configPath}: tokenizer_class '{cls}' is not a BERT/ELECTRA WordPiece tokenizer ({string.Join(", ", CompatibleClasses)})");
            bool lower = GetBool(config, "do_lower_case", configPath) ?? true;
            if (GetBool(config, "do_basic_tokenize", configPath) == false)
                throw new InvalidDataException($"{configPath}: do_basic_tokenize false is not supported (ElectraLab always runs BERT's basic tokenizer)");
            if (GetBool(config, "tokenize_chinese_chars", configPath) == false)
                throw new InvalidDataException($"{configPath}: tokenize_chinese_chars false is not supported");
            var strip = GetBool(config, "strip_accents", configPath);
            if (strip == true && !lower)
                throw new InvalidDataException($"{configPath}: strip_accents true without do_lower_case is not supported");
            foreach (var (key, token) in SpecialTokens) RequireToken(config[key], key, token, configPath);
            settings = settings with { DoLowerCase = lower, StripAccents = strip ?? true, ModelMaxLength = MaxLength(config, configPath) };
        }

        var mapPath = Path.Combine(directory, SpecialTokensMapFile);
        if (File.Exists(mapPath))
        {
            var map = JsonFiles.ParseNode(mapPath) as JsonObject
                ?? throw new InvalidDataException($"{mapPath}: expected a JSON object");
            foreach (var (key, token) in SpecialTokens) RequireToken(map[key], key, token, mapPath);
        }
        return settings;
    }

    /// <summary>Copies a folder's tokenizer files, rewritten from what was read (so a folder always gets all three).</summary>
    public static void Copy(HfTokenizerSettings settings, string targetDirectory)
    {
        var tokenizer = settings.CreateTokenizer();
        Write(targetDirectory, tokenizer, settings.ModelMaxLength);
    }

    private static int? MaxLength(JsonObject config, string path)
    {
        if (!config.TryGetPropertyValue("model_max_length", out var node) || node is null) return null;
        double value;
        try { value = node.GetValue<double>(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: model_max_length has the wrong type ({node.ToJsonString()})", e);
        }
        if (!(value >= 1) || value != Math.Floor(value)) throw new InvalidDataException($"{path}: model_max_length {node.ToJsonString()} is not a positive integer");
        return value > UnlimitedAbove ? null : (int)value;
    }

    // A special token is a string or, as save_pretrained writes AddedTokens, an object whose "content" is the string.
    private static void RequireToken(JsonNode? node, string key, string expected, string path)
    {
        if (node is null) return;
        var text = node is JsonObject added ? added["content"] : node;
        string? value = text is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (value != expected)
            throw new InvalidDataException($"{path}: {key} is {(value is null ? node.ToJsonString() : $"'{value}'")}, but ElectraLab's WordPiece tokenizer uses '{expected}'");
    }

    private static bool? GetBool(JsonObject json, string key, string path) =>
        Value(json, key, path, n => n.GetValue<bool>()) is { } b ? b.Item : null;

    private static string? GetString(JsonObject json, string key, string path) =>
        Value(json, key, path, n => n.GetValue<string>())?.Item;

    // null when the key is absent or JSON null (transformers' default applies); a value of the wrong type names the key.
    private static Box<T>? Value<T>(JsonObject json, string key, string path, Func<JsonNode, T> get)
    {
        if (!json.TryGetPropertyValue(key, out var node) || node is null) return null;
        try { return new Box<T>(get(node)); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: {key} has the wrong type ({node.ToJsonString()})", e);
        }
    }

    private sealed record Box<T>(T Item);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }
}
