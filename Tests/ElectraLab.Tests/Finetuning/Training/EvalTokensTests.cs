using System.Globalization;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>
/// What tools/hf-parity compares Hugging Face against: `eval tokens` writes exactly the inputs fine-tuning's encoder
/// gives the kept model for every dev example, and `eval model --logits` the raw outputs its predictions come from.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class EvalTokensTests
{
    private static readonly Lazy<string> Sst2Model = new(() =>
    {
        var out_ = TestPaths.TempDirectory("eval-tokens-sst2");
        FinetuneExperiment.Prepare("SST-2", KeptModelTests.Backbone.Value, FinetuneTestData.Glue, KeptModelTests.Quick).Run([1], out_);
        return Path.Combine(out_, "model");
    });

    [Fact]
    public void EvalTokens_WritesTheFineTuningEncodersInputs_ForEveryDevExample()
    {
        var file = Path.Combine(TestPaths.TempDirectory("eval-tokens"), "ids.jsonl");
        var (code, output, error) = FinetuneTestData.Cli(["eval", "tokens", "--model", Sst2Model.Value, "--data", FinetuneTestData.Glue, "--out", file]);
        Assert.True(code == 0, error);
        Assert.Contains("872 dev examples of SST-2 (max_seq_length 32)", output);

        var task = GlueTasks.Get("SST-2");
        var dev = GlueLoader.Load(task, FinetuneTestData.Glue, GlueSplit.Dev);
        var encoder = new GlueEncoder(HfTokenizerFiles.Read(Sst2Model.Value)!.CreateTokenizer(), task, 32);
        var lines = File.ReadAllLines(file);
        Assert.Equal(dev.Examples.Count, lines.Length);
        var truncated = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            var row = JsonNode.Parse(lines[i])!.AsObject();
            var expected = encoder.Encode(dev.Examples[i]);
            var length = expected.AttentionMask.Count(m => m == 1);
            Assert.Equal(i, row["index"]!.GetValue<int>());
            Assert.Equal(dev.Examples[i].TextA, row["text_a"]!.GetValue<string>());
            Assert.Null(row["text_b"]);
            Assert.Equal(expected.InputIds[..length], Longs(row["input_ids"]));
            Assert.Equal(expected.TokenTypeIds[..length], Longs(row["token_type_ids"]));
            Assert.Equal(Enumerable.Repeat(1L, length), Longs(row["attention_mask"]));
            if (length == 32) truncated++;
        }
        Assert.True(truncated > 0, "some SST-2 dev sentences are longer than 32 tokens and must arrive cut, as fine-tuning cuts them");
    }

    [Fact]
    public void EvalModel_WithLogits_WritesTheOutputsItsPredictionsAreTheArgmaxOf()
    {
        var out_ = TestPaths.TempDirectory("eval-logits");
        var (code, _, error) = FinetuneTestData.Cli(["eval", "model", "--model", Sst2Model.Value, "--data", FinetuneTestData.Glue, "--out", out_, "--logits"]);
        Assert.True(code == 0, error);
        var logits = GlueLogitsFile.Read(Path.Combine(out_, "SST-2.logits.tsv"));
        var predictions = File.ReadAllLines(Path.Combine(out_, "SST-2.tsv")).Skip(1).Select(l => l.Split('\t')[1]).ToList();
        Assert.Equal(872, logits.Count);
        Assert.All(logits, row => Assert.Equal(2, row.Length));
        for (int i = 0; i < logits.Count; i++)
            Assert.Equal(predictions[i], (logits[i][1] > logits[i][0] ? 1 : 0).ToString(CultureInfo.InvariantCulture));
        Assert.True(logits.Select(r => r[0]).Distinct().Count() > 100, "each sentence has its own logits");

        // Without --logits, only the submission file (what fine-tuning writes).
        var plain = TestPaths.TempDirectory("eval-no-logits");
        (code, _, error) = FinetuneTestData.Cli(["eval", "model", "--model", Sst2Model.Value, "--data", FinetuneTestData.Glue, "--out", plain]);
        Assert.True(code == 0, error);
        Assert.Equal(["SST-2.tsv"], Directory.GetFiles(plain).Select(Path.GetFileName));
    }

    private static long[] Longs(JsonNode? node) => node!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
}
