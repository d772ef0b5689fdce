using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

/// <summary>Shared inputs of the data tests: the real BERT vocabulary and tiny synthetic ones.</summary>
internal static class DataTestFiles
{
    public static string BertVocab => Path.Combine(TestPaths.Shared, "data", "vocab", "bert-base-uncased-vocab.txt");

    public static string Corpus => Path.Combine(TestPaths.Shared, "data", "corpus");

    private static readonly Lazy<WordPieceTokenizer> Bert = new(() => WordPieceTokenizer.FromVocabFile(BertVocab));

    public static WordPieceTokenizer BertUncased => Bert.Value;

    /// <summary>[PAD] [UNK] [CLS] [SEP] [MASK] then t0..t{n-1}: token tK has id K + 5.</summary>
    public static string[] NumberedVocab(int n = 200) =>
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, n).Select(i => $"t{i}")];

    public static string WriteVocab(string directory, IEnumerable<string> tokens)
    {
        var path = Path.Combine(directory, "vocab.txt");
        File.WriteAllText(path, string.Concat(tokens.Select(t => t + "\n")));
        return path;
    }

    /// <summary>Documents of sentences with the given token counts, numbered t0, t1, ... in order; a blank line
    /// between documents.</summary>
    public static List<string> NumberedDocuments(params int[][] documents)
    {
        var lines = new List<string>();
        int next = 0;
        for (int d = 0; d < documents.Length; d++)
        {
            if (d > 0) lines.Add("");
            foreach (var length in documents[d])
            {
                lines.Add(string.Join(' ', Enumerable.Range(next, length).Select(i => $"t{i}")));
                next += length;
            }
        }
        return lines;
    }
}
