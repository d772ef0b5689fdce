using ElectraLab.Electra.Data;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

[Trait("Category", "Unit")]
public sealed class VocabTrainerTests
{
    private static readonly Dictionary<string, long> Counts = new(StringComparer.Ordinal)
    {
        ["low"] = 5, ["lower"] = 2, ["newest"] = 6, ["widest"] = 3, ["new"] = 4,
    };

    [Fact]
    public void Train_SpecialTokensFirst_ThenAlphabetThenMerges()
    {
        var vocab = new VocabTrainer { VocabSize = 40 }.Train(Counts);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], vocab.Take(5));
        // Characters by frequency (e occurs 6*2 + 3 + 4 + 2 = 21 times), each also as a continuation.
        Assert.Equal("e", vocab[5]);
        Assert.Contains("##e", vocab);
        Assert.Contains("##w", vocab);
        Assert.Equal(vocab.Count, vocab.Distinct().Count());
        Assert.True(vocab.Count <= 40);
        // The most frequent pairs are n+##e and ##e+##w (newest 6 + new 4 = 10 each); the tie goes to the
        // ordinally smaller merged string, "##ew" < "ne".
        int alphabetEnd = 5 + 2 * Counts.Keys.SelectMany(w => w).Distinct().Count();
        Assert.Equal("##ew", vocab[alphabetEnd]);
        // Then n + ##ew (still 10) makes the whole word "new".
        Assert.Equal("new", vocab[alphabetEnd + 1]);
    }

    [Fact]
    public void Train_IsDeterministic_AndCoversTrainingWords()
    {
        var trainer = new VocabTrainer { VocabSize = 60, MinPairCount = 1 };
        var a = trainer.Train(Counts);
        var b = trainer.Train(new Dictionary<string, long>(Counts.Reverse(), StringComparer.Ordinal));
        Assert.Equal(a, b);
        var tokenizer = WordPieceTokenizer.FromTokens(a);
        foreach (var word in Counts.Keys)
        {
            Assert.Equal([word], tokenizer.Tokenize(word));
        }
        Assert.DoesNotContain("[UNK]", tokenizer.Tokenize("slow wider"));
    }

    [Fact]
    public void Train_OnRealCorpus_ReachesTargetSizeAndTokenizes()
    {
        var files = TextInputs.Expand([Path.Combine(DataTestFiles.Corpus, "gutenberg", "pg84.txt")]);
        var serial = WordCounter.Count(files, lowerCase: true, threads: 1);
        var parallel = WordCounter.Count(TextInputs.Expand([Path.Combine(DataTestFiles.Corpus, "gutenberg")]), lowerCase: true, threads: 2);
        // Counted by the Python BasicTokenizer over the same file: 31 "frankenstein", 4387 "the", 7328 distinct words.
        Assert.Equal(31, serial["frankenstein"]);
        Assert.Equal(4387, serial["the"]);
        Assert.Equal(7328, serial.Count);
        Assert.True(parallel["frankenstein"] >= serial["frankenstein"]);

        var vocab = new VocabTrainer { VocabSize = 2000 }.Train(serial);
        Assert.Equal(2000, vocab.Count);
        var dir = TestPaths.TempDirectory("vocab-train");
        var path = Path.Combine(dir, "vocab.txt");
        VocabTrainer.Write(vocab, path);
        var tokenizer = WordPieceTokenizer.FromVocabFile(path);
        Assert.Equal((0, 1, 2, 3, 4), (tokenizer.PadId, tokenizer.UnkId, tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId));
        var tokens = tokenizer.Tokenize("It was on a dreary night of November that I beheld the accomplishment of my toils.");
        Assert.DoesNotContain("[UNK]", tokens);
        Assert.Contains("the", tokens);
    }

    [Fact]
    public void Train_Empty_IsInvalidData() =>
        Assert.Throws<InvalidDataException>(() => new VocabTrainer().Train(new Dictionary<string, long>()));
}
