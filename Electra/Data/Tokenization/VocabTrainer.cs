// Trains a WordPiece vocabulary (vocab.txt) from word counts. Google never released BERT's WordPiece trainer; this
// follows the common substitute (Hugging Face tokenizers' WordPieceTrainer): byte-pair-style merges over
// characters where every non-initial piece carries the "##" prefix, so the result is read by the greedy
// longest-match WordPiece tokenizer exactly like BERT's vocabulary.
//
// Layout of the file: [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4; no [unusedN] slots), then every character seen, first
// as a word-initial piece and then as a "##" continuation (most frequent first), then merged pieces in merge order.
// Deterministic: the most frequent pair wins, ties go to the ordinally smaller merged string, then the older pair.
namespace ElectraLab.Electra.Data.Tokenization;

public sealed class VocabTrainer
{
    public static readonly IReadOnlyList<string> SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public int VocabSize { get; init; } = 30522;

    /// <summary>A pair seen fewer times than this is never merged; training stops early when none is left.</summary>
    public int MinPairCount { get; init; } = 2;

    public IReadOnlyList<string> Train(IReadOnlyDictionary<string, long> wordCounts)
    {
        if (wordCounts.Count == 0) throw new InvalidDataException("no words to train a vocabulary on (empty corpus?)");
        if (VocabSize <= SpecialTokens.Count) throw new ArgumentOutOfRangeException(nameof(VocabSize), VocabSize, "vocabulary size must exceed the 5 special tokens");

        var symbols = new List<string>();
        var symbolIds = new Dictionary<string, int>(StringComparer.Ordinal);
        int Intern(string s)
        {
            if (!symbolIds.TryGetValue(s, out int id)) { id = symbols.Count; symbols.Add(s); symbolIds[s] = id; }
            return id;
        }

        // Characters by frequency; each becomes "c" and "##c" so any word over the alphabet stays encodable.
        var charCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (word, count) in wordCounts)
            foreach (var rune in word.EnumerateRunes())
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(charCounts, rune.ToString(), out _) += count;
        var alphabet = charCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).ToList();
        int room = (VocabSize - SpecialTokens.Count) / 2;
        if (alphabet.Count > room) alphabet = alphabet.Take(room).ToList();

        var vocab = new List<string>(SpecialTokens);
        var inVocab = new HashSet<string>(SpecialTokens, StringComparer.Ordinal);
        foreach (var c in alphabet) if (inVocab.Add(c)) vocab.Add(c);
        foreach (var c in alphabet) if (inVocab.Add("##" + c)) vocab.Add("##" + c);

        // Words as symbol sequences; a word with a character cut from the alphabet is left out of merging.
        var kept = new HashSet<string>(alphabet, StringComparer.Ordinal);
        var words = new List<int[]>();
        var counts = new List<long>();
        foreach (var (word, count) in wordCounts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var runes = word.EnumerateRunes().Select(r => r.ToString()).ToList();
            if (runes.Any(r => !kept.Contains(r))) continue;
            words.Add(runes.Select((r, i) => Intern(i == 0 ? r : "##" + r)).ToArray());
            counts.Add(count);
        }

        new PairMerger(symbols, Intern, words, counts, MinPairCount).Run(vocab, inVocab, VocabSize);
        return vocab;
    }

    public static void Write(IReadOnlyList<string> vocab, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        File.WriteAllText(path, string.Concat(vocab.Select(t => t + "\n")));
    }
}
