// BERT's FullTokenizer over a standard vocab.txt: BasicTokenizer, then greedy longest-match-first WordPiece
// (`WordpieceTokenizer.tokenize`) with "##" continuations. A word longer than MaxInputCharsPerWord code points,
// or one that cannot be covered by vocabulary pieces, becomes a single [UNK]. Thread-safe after construction.
using System.Security.Cryptography;
using System.Text;

namespace ElectraLab.Electra.Data.Tokenization;

public sealed class WordPieceTokenizer
{
    /// <summary>BERT's `max_input_chars_per_word` (google-research/bert tokenization.py).</summary>
    public const int DefaultMaxInputCharsPerWord = 100;

    /// <summary>ELECTRA's copy of the tokenizer (model/tokenization.py `WordpieceTokenizer`) raised the limit to 200;
    /// `data prepare` uses it so that its examples match build_pretraining_dataset.py's.</summary>
    public const int ElectraMaxInputCharsPerWord = 200;

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wordStarts;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;
    private readonly BasicTokenizer _basic;

    private WordPieceTokenizer(string[] tokens, bool lowerCase, bool stripAccents, int maxInputCharsPerWord, string vocabSha256)
    {
        _tokens = tokens;
        // load_vocab assigns in file order, so a repeated token maps to its last line.
        _vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            _vocab[tokens[id]] = id;
            if (tokens[id].StartsWith("##", StringComparison.Ordinal)) continuations[tokens[id][2..]] = id;
        }
        _wordStarts = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        _basic = new BasicTokenizer(lowerCase, stripAccents);
        MaxInputCharsPerWord = maxInputCharsPerWord;
        VocabSha256 = vocabSha256;
        PadId = Require("[PAD]");
        UnkId = Require("[UNK]");
        ClsId = Require("[CLS]");
        SepId = Require("[SEP]");
        MaskId = Require("[MASK]");
    }

    public static WordPieceTokenizer FromVocabFile(string path, bool lowerCase = true) =>
        FromVocabFile(path, lowerCase, stripAccents: true, DefaultMaxInputCharsPerWord);

    /// <param name="stripAccents">As ELECTRA's --no-strip-accents: only consulted when lower-casing.</param>
    public static WordPieceTokenizer FromVocabFile(string path, bool lowerCase, bool stripAccents, int maxInputCharsPerWord)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such vocabulary file", path);
        var bytes = File.ReadAllBytes(path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return new WordPieceTokenizer(ParseVocab(bytes, path), lowerCase, stripAccents, maxInputCharsPerWord, hash);
    }

    /// <summary>A tokenizer over an in-memory vocabulary, one token per entry, ids in order.</summary>
    public static WordPieceTokenizer FromTokens(IEnumerable<string> tokens, bool lowerCase = true)
    {
        var array = tokens.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', array) + "\n")));
        return new WordPieceTokenizer(array, lowerCase, stripAccents: true, DefaultMaxInputCharsPerWord, hash);
    }

    public int VocabSize => _tokens.Length;
    public int PadId { get; }
    public int UnkId { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int MaskId { get; }
    public bool LowerCase => _basic.LowerCase;
    public bool StripAccents => _basic.StripAccents;
    public int MaxInputCharsPerWord { get; }

    /// <summary>SHA-256 of the vocabulary file's bytes (lower-case hex): ties a dataset to its vocabulary.</summary>
    public string VocabSha256 { get; }

    public int TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : UnkId;

    public string IdToToken(int id) => (uint)id < (uint)_tokens.Length
        ? _tokens[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_tokens.Length}");

    public IReadOnlyList<string> BasicTokenize(string text)
    {
        var output = new List<string>();
        _basic.Tokenize(text, output);
        return output;
    }

    public IReadOnlyList<string> WordPieceSplit(string basicToken)
    {
        var ids = new List<int>();
        var output = new List<string>();
        // The official WordpieceTokenizer whitespace-splits its input first; a BasicTokenize token has no spaces.
        foreach (var word in basicToken.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            ids.Clear();
            AppendWordPieces(word, ids);
            foreach (var id in ids) output.Add(_tokens[id]);
        }
        return output;
    }

    public IReadOnlyList<string> Tokenize(string text)
    {
        var output = new List<string>();
        foreach (var id in Encode(text)) output.Add(_tokens[id]);
        return output;
    }

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        EncodeInto(text, ids, new List<string>());
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/>; <paramref name="scratch"/> is a
    /// reusable word list so that a hot loop allocates only the words themselves.</summary>
    public void EncodeInto(string text, List<int> ids, List<string> scratch)
    {
        scratch.Clear();
        _basic.Tokenize(text, scratch);
        foreach (var word in scratch) AppendWordPieces(word, ids);
    }

    /// <summary>Greedy longest-match-first over code points; "##" marks a piece that does not start the word.</summary>
    private void AppendWordPieces(string word, List<int> ids)
    {
        // Code-point boundaries: BERT slices Python strings, which index by code point, not UTF-16 unit.
        Span<int> bounds = word.Length <= 128 ? stackalloc int[word.Length + 1] : new int[word.Length + 1];
        int count = 0;
        for (int i = 0; i < word.Length; i++)
            if (!char.IsLowSurrogate(word[i]) || i == 0 || !char.IsHighSurrogate(word[i - 1])) bounds[count++] = i;
        bounds[count] = word.Length;
        if (count > MaxInputCharsPerWord)
        {
            ids.Add(UnkId);
            return;
        }
        int mark = ids.Count;
        int start = 0;
        while (start < count)
        {
            int end = count;
            int found = -1;
            while (start < end)
            {
                var piece = word.AsSpan(bounds[start], bounds[end] - bounds[start]);
                if (start == 0 ? _wordStarts.TryGetValue(piece, out found) : _continuations.TryGetValue(piece, out found)) break;
                found = -1;
                end--;
            }
            if (found < 0)
            {
                ids.RemoveRange(mark, ids.Count - mark);
                ids.Add(UnkId);
                return;
            }
            ids.Add(found);
            start = end;
        }
    }

    // load_vocab: one token per line, each stripped (Python str.strip), ids in line order.
    private static string[] ParseVocab(byte[] bytes, string path)
    {
        var text = new UTF8Encoding(false, false).GetString(bytes);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Split('\n');
        int count = lines.Length;
        if (count > 0 && lines[^1].Length == 0) count--;
        var tokens = new string[count];
        for (int i = 0; i < count; i++) tokens[i] = BertText.PythonStrip(lines[i]).ToString();
        if (count == 0) throw new InvalidDataException($"{path}: empty vocabulary file");
        return tokens;
    }

    private int Require(string special) => _vocab.TryGetValue(special, out int id)
        ? id
        : throw new InvalidDataException($"vocabulary has no {special} token (a BERT vocab.txt has [PAD] [UNK] [CLS] [SEP] [MASK])");
}
