using System.Text.Json.Nodes;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Tests.Data;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Checkpoints;

/// <summary>
/// The tokenizer files of a Hugging Face folder (vocab.txt, tokenizer_config.json, special_tokens_map.json) with the
/// names and keys transformers' ElectraTokenizer / BertTokenizer read, written and read back on the real BERT vocabulary.
/// </summary>
[Trait("Category", "Unit")]
public sealed class HfTokenizerFilesTests
{
    [Fact]
    public void Write_WritesTheThreeFilesWithTransformersKeysAndValues()
    {
        var dir = TestPaths.TempDirectory("tok");
        HfTokenizerFiles.Write(dir, DataTestFiles.BertUncased, modelMaxLength: 128);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")))!.AsObject();
        Assert.Equal("ElectraTokenizer", config["tokenizer_class"]!.GetValue<string>());
        Assert.True(config["do_lower_case"]!.GetValue<bool>());
        Assert.Equal(128, config["model_max_length"]!.GetValue<int>());
        Assert.True(config["do_basic_tokenize"]!.GetValue<bool>());
        Assert.True(config["tokenize_chinese_chars"]!.GetValue<bool>());
        Assert.True(config.ContainsKey("strip_accents") && config["strip_accents"] is null);   // None: strip when lower-casing
        foreach (var (key, token) in new[] { ("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"), ("cls_token", "[CLS]"), ("mask_token", "[MASK]") })
            Assert.Equal(token, config[key]!.GetValue<string>());

        var map = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "special_tokens_map.json")))!.AsObject();
        Assert.Equal(["unk_token", "sep_token", "pad_token", "cls_token", "mask_token"], map.Select(kv => kv.Key));
        Assert.Equal(["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"], map.Select(kv => kv.Value!.GetValue<string>()));

        // transformers' load_vocab: one token per line, id = line number. The written file is the BERT file itself.
        Assert.Equal(File.ReadAllBytes(DataTestFiles.BertVocab), File.ReadAllBytes(Path.Combine(dir, "vocab.txt")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WriteThenRead_GivesTheSameTokenizer(bool lowerCase)
    {
        var original = WordPieceTokenizer.FromVocabFile(DataTestFiles.BertVocab, lowerCase, stripAccents: true, WordPieceTokenizer.ElectraMaxInputCharsPerWord);
        var dir = TestPaths.TempDirectory("tok");
        HfTokenizerFiles.Write(dir, original, modelMaxLength: 512);

        var settings = HfTokenizerFiles.Read(dir)!;
        Assert.Equal((lowerCase, true, 512), (settings.DoLowerCase, settings.StripAccents, settings.ModelMaxLength));
        var reread = settings.CreateTokenizer();
        Assert.Equal(original.VocabSize, reread.VocabSize);
        Assert.Equal(original.VocabSha256, reread.VocabSha256);
        foreach (var text in new[] { "Héllò, Crème Brûlée!", "The Normans gave their name to Normandy.", "中文abc日本 ひらがな", "unaffable ΟΔΟΣ İstanbul" })
            Assert.Equal(original.Encode(text), reread.Encode(text));
        // Casing really is read back: only the uncased tokenizer turns "Héllò" into BERT's "hello".
        Assert.Equal(lowerCase, reread.Tokenize("Héllò").SequenceEqual(["hello"]));
    }

    [Fact]
    public void ReadBack_TokenizesAsTransformersDocumentsForElectra()
    {
        // modeling_electra.py's ElectraForPreTraining docstring: google/electra-base-discriminator's tokenizer (BERT's
        // uncased vocabulary) gives these tokens with add_special_tokens=True.
        var dir = TestPaths.TempDirectory("tok");
        HfTokenizerFiles.Write(dir, DataTestFiles.BertUncased, modelMaxLength: 512);
        var tokenizer = HfTokenizerFiles.Read(dir)!.CreateTokenizer();
        var tokens = tokenizer.Tokenize("The quick brown fox fake over the lazy dog").Prepend("[CLS]").Append("[SEP]");
        Assert.Equal(["[CLS]", "the", "quick", "brown", "fox", "fake", "over", "the", "lazy", "dog", "[SEP]"], tokens);
    }

    [Fact]
    public void Read_AppliesTransformersDefaults_AndAcceptsAddedTokenObjects()
    {
        var dir = TestPaths.TempDirectory("tok");
        File.Copy(DataTestFiles.BertVocab, Path.Combine(dir, "vocab.txt"));
        // vocab.txt alone: BertTokenizer's defaults (lower-case, strip accents, no length limit).
        Assert.Equal((true, true, (int?)null), Settings(dir));

        // A google/electra-* style config, with the 1e30 "no limit" transformers writes and AddedToken dicts.
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            """{"do_lower_case": false, "model_max_length": 1000000000000000019884624838656, "strip_accents": null, "tokenizer_class": "BertTokenizerFast"}""");
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"),
            """{"unk_token": {"content": "[UNK]", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false}, "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}""");
        Assert.Equal((false, true, (int?)null), Settings(dir));

        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"do_lower_case": true, "strip_accents": false, "model_max_length": 256}""");
        Assert.Equal((true, false, (int?)256), Settings(dir));
        Assert.Equal(["crème"], HfTokenizerFiles.Read(dir)!.CreateTokenizer().BasicTokenize("Crème"));
    }

    [Theory]
    [InlineData("tokenizer_config.json", """{"tokenizer_class": "RobertaTokenizer"}""", "tokenizer_class 'RobertaTokenizer'")]
    [InlineData("tokenizer_config.json", """{"do_basic_tokenize": false}""", "do_basic_tokenize")]
    [InlineData("tokenizer_config.json", """{"tokenize_chinese_chars": false}""", "tokenize_chinese_chars")]
    [InlineData("tokenizer_config.json", """{"do_lower_case": "yes"}""", "do_lower_case has the wrong type")]
    [InlineData("tokenizer_config.json", """{"model_max_length": 12.5}""", "model_max_length 12.5")]
    [InlineData("tokenizer_config.json", """{"pad_token": "<pad>"}""", "pad_token is '<pad>'")]
    [InlineData("tokenizer_config.json", """{"do_lower_case": true""", "not valid JSON")]
    [InlineData("special_tokens_map.json", """{"mask_token": {"content": "<mask>"}}""", "mask_token")]
    public void Read_RejectsWhatElectraLabsTokenizerCannotHonour(string file, string text, string mentions)
    {
        var dir = TestPaths.TempDirectory("tok");
        File.Copy(DataTestFiles.BertVocab, Path.Combine(dir, "vocab.txt"));
        File.WriteAllText(Path.Combine(dir, file), text);
        var error = Assert.Throws<InvalidDataException>(() => HfTokenizerFiles.Read(dir));
        Assert.Contains(file, error.Message);
        Assert.Contains(mentions, error.Message);
    }

    [Fact]
    public void Read_OfAFolderWithoutVocab_IsNull() => Assert.Null(HfTokenizerFiles.Read(TestPaths.TempDirectory("tok")));

    private static (bool, bool, int?) Settings(string dir)
    {
        var s = HfTokenizerFiles.Read(dir)!;
        return (s.DoLowerCase, s.StripAccents, s.ModelMaxLength);
    }
}
