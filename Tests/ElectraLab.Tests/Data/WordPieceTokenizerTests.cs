using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

/// <summary>BERT's FullTokenizer semantics on the real uncased vocabulary. Expected tokens were produced by the
/// Python algorithm (str.lower, unicodedata NFD) and match it on the whole shared corpus.</summary>
[Trait("Category", "Unit")]
public sealed class WordPieceTokenizerTests
{
    private static WordPieceTokenizer Bert => DataTestFiles.BertUncased;

    [Fact]
    public void FromVocabFile_BertUncased_HasBertSpecialIds()
    {
        Assert.Equal(30522, Bert.VocabSize);
        Assert.Equal((0, 100, 101, 102, 103), (Bert.PadId, Bert.UnkId, Bert.ClsId, Bert.SepId, Bert.MaskId));
        Assert.Equal("[unused0]", Bert.IdToToken(1));
        Assert.Equal(Bert.UnkId, Bert.TokenToId("not-a-token"));
        Assert.Equal(7592, Bert.TokenToId("hello"));
    }

    [Theory]
    [InlineData("Héllò, Crème Brûlée!", "hello|,|creme|brulee|!")]
    [InlineData("naïve café résumé", "naive|cafe|resume")]
    [InlineData("The lazy dog's back.", "the|lazy|dog|'|s|back|.")]
    [InlineData("don’t “quote”", "don|’|t|“|quote|”")]
    [InlineData("x1.5%—$3", "x1|.|5|%|—|$|3")]
    // CJK ideographs are split one by one; kana are not ideographs, and NFD drops the dakuten (ga -> ka).
    [InlineData("中文abc日本 ひらがな", "中|文|abc|日|本|ひらかな")]
    // NUL and format characters vanish, tab and no-break space are spaces.
    [InlineData("ab\u200bc\u00a0d\te\u0000f", "abc|d|ef")]
    // Python's full lower-casing: word-final capital sigma becomes final sigma; dotted I becomes i + dot, then stripped.
    [InlineData("ΟΔΟΣ İstanbul", "οδος|istanbul")]
    [InlineData("  \r\n ", "")]
    public void BasicTokenize_LowerCase_MatchesBert(string text, string expected) =>
        Assert.Equal(Split(expected), Bert.BasicTokenize(text));

    [Fact]
    public void BasicTokenize_NoLowerCase_KeepsCaseAndAccents()
    {
        var cased = WordPieceTokenizer.FromVocabFile(DataTestFiles.BertVocab, lowerCase: false);
        Assert.Equal(["Héllò", ",", "ΟΔΟΣ", "中", "文"], cased.BasicTokenize("Héllò, ΟΔΟΣ中文"));
        Assert.False(cased.LowerCase);
    }

    [Theory]
    [InlineData("unaffable", "una|##ffa|##ble")]
    [InlineData("electroencephalographically", "electro|##ence|##pha|##log|##raphic|##ally")]
    [InlineData("brulee", "br|##ule|##e")]
    [InlineData("☃", "[UNK]")]
    [InlineData("ひらかな", "ひ|##ら|##か|##な")]
    public void WordPieceSplit_RealVocab_GreedyLongestMatch(string word, string expected) =>
        Assert.Equal(Split(expected), Bert.WordPieceSplit(word));

    [Fact]
    public void WordPieceSplit_OfficialDocstringVocab_SplitsUnaffable()
    {
        var tokenizer = WordPieceTokenizer.FromTokens(
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "##aff", "##able"]);
        Assert.Equal(["un", "##aff", "##able"], tokenizer.WordPieceSplit("unaffable"));
        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], tokenizer.Tokenize("UNwant\u00E9d,running"));
        // A word whose tail cannot be covered is one [UNK], not a partial split.
        Assert.Equal(["[UNK]"], tokenizer.WordPieceSplit("unwantx"));
    }

    [Fact]
    public void WordPieceSplit_LongWords_UnkPastHundredCodePoints()
    {
        Assert.Equal(["[UNK]"], Bert.WordPieceSplit(new string('a', 101)));
        Assert.NotEqual("[UNK]", Bert.WordPieceSplit(new string('a', 100))[0]);
        // Code points, not UTF-16 units: 60 astral characters are 120 chars but only 60 code points.
        var astral = WordPieceTokenizer.FromTokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\U0001D400", "##\U0001D400"]);
        Assert.Equal(60, astral.WordPieceSplit(string.Concat(Enumerable.Repeat("\U0001D400", 60))).Count);
        Assert.Equal(["[UNK]"], astral.WordPieceSplit(string.Concat(Enumerable.Repeat("\U0001D400", 101))));
        Assert.Equal(["[UNK]"], Bert.Tokenize(new string('é', 101)));
        // ELECTRA's copy of the tokenizer allows 200.
        var electra = WordPieceTokenizer.FromVocabFile(DataTestFiles.BertVocab, true, true, WordPieceTokenizer.ElectraMaxInputCharsPerWord);
        Assert.DoesNotContain("[UNK]", electra.WordPieceSplit(new string('a', 150)));
        Assert.Equal(["[UNK]"], electra.WordPieceSplit(new string('a', 201)));
    }

    [Fact]
    public void Tokenize_And_Encode_Agree()
    {
        const string text = "Héllò, Crème Brûlée! ☃ snowman ΟΔΟΣ x1.5%";
        var tokens = Bert.Tokenize(text);
        Assert.Equal(["hello", ",", "cr", "##eme", "br", "##ule", "##e", "!", "[UNK]", "snow", "##man", "ο", "##δ", "##ος", "x", "##1", ".", "5", "%"], tokens);
        Assert.Equal(tokens.Select(Bert.TokenToId), Bert.Encode(text));
        Assert.Equal([7592, 1010, 13675, 21382, 7987, 9307, 2063, 999], Bert.Encode("Héllò, Crème Brûlée!"));
    }

    [Fact]
    public void FromVocabFile_MissingSpecialToken_IsInvalidData()
    {
        var dir = TestPaths.TempDirectory("vocab-bad");
        var path = DataTestFiles.WriteVocab(dir, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello"]);
        var error = Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.FromVocabFile(path));
        Assert.Contains("[MASK]", error.Message);
        Assert.Throws<FileNotFoundException>(() => WordPieceTokenizer.FromVocabFile(Path.Combine(dir, "none.txt")));
    }

    [Fact]
    public void Encode_RealCorpus_IsFast()
    {
        var lines = File.ReadLines(Path.Combine(DataTestFiles.Corpus, "wikitext-2-raw", "wiki.test.raw")).ToList();
        var ids = new List<int>();
        var words = new List<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var line in lines) Bert.EncodeInto(line, ids, words);
        Assert.True(ids.Count > 250_000, $"{ids.Count} tokens");
        // 1.3 MB; a generous bound that still catches an accidental quadratic path.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed}");
    }

    private static string[] Split(string expected) => expected.Length == 0 ? [] : expected.Split('|');
}
