using ElectraLab.Cli;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>Shared data paths, tiny models and vocabularies for the fine-tuning tests.</summary>
internal static class FinetuneTestData
{
    public static string Glue => Path.Combine(TestPaths.Shared, "data", "glue");
    public static string Squad => Path.Combine(TestPaths.Shared, "data", "squad");
    public static string BertVocab => Path.Combine(TestPaths.Shared, "data", "vocab", "bert-base-uncased-vocab.txt");

    /// <summary>A tiny encoder over the real BERT vocabulary: hidden 64, 2 layers, no embedding projection, 64 positions.</summary>
    public static ElectraConfig Tiny(int positions = 64) => new ElectraConfig
    {
        VocabSize = 30522, EmbeddingSize = 64, HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 2,
        IntermediateSize = 256, MaxPositionEmbeddings = positions,
    }.Validate();

    /// <summary>
    /// A vocabulary of <paramref name="size"/> entries: the special tokens, then frequent English words, then fillers,
    /// for models whose vocab_size is far below BERT's (the HF fixtures have 99).
    /// </summary>
    public static string SmallVocab(string directory, int size = 99)
    {
        string[] words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "an", "of", "and", "to", "in", "is", "it", "'s", "film",
            "movie", "good", "bad", "not", "this", "that", "with", "for", "as", "on", "but", "what", "who", "when", "where", "which",
            "normans", "normandy", "france", ".", ",", "?", "!", "'", "-", "(", ")", "was", "were", "be", "by", "from", "one", "its"];
        var tokens = words.Concat(Enumerable.Range(0, Math.Max(0, size - words.Length)).Select(i => $"[unused{i}]")).Take(size);
        var path = Path.Combine(directory, "vocab.txt");
        File.WriteAllLines(path, tokens);
        return path;
    }

    public static (int Code, string Output, string Error) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
