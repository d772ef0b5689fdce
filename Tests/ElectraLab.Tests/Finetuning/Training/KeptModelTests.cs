using System.Globalization;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>
/// Fine-tuned models kept as Hugging Face folders (ElectraForSequenceClassification / ElectraForQuestionAnswering with
/// the task's labels and the tokenizer), exported and imported, and reloaded to rerun the dev set: the reloaded model
/// must write byte for byte the prediction files the fine-tuning run wrote.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class KeptModelTests
{
    internal static readonly string[] Quick =
    [
        "max_seq_length=32", "max_train_examples=128", "train_batch_size=16", "num_train_epochs=1", "learning_rate=1e-3",
        "eval_batch_size=64", "device=cpu", "precision=fp32",
    ];

    /// <summary>A pre-trained-looking backbone folder: a seeded tiny ElectraForPreTraining over BERT's vocabulary, with its tokenizer files.</summary>
    internal static readonly Lazy<string> Backbone = new(() =>
    {
        var dir = TestPaths.TempDirectory("kept-backbone");
        manual_seed(11);
        using var model = new ElectraForPreTraining(FinetuneTestData.Tiny());
        using (NewDisposeScope()) ElectraInit.TruncatedNormal(model, 0.02);
        HfModelDirectory.Save(dir, model, model.Config, model.HfArchitecture);
        HfTokenizerFiles.Write(dir, Data.DataTestFiles.BertUncased, modelMaxLength: 64);
        return dir;
    });

    [Fact]
    public void Finetune_KeepsTheMedianSeedsClassifier_WhichReproducesItsPredictions()
    {
        var out_ = TestPaths.TempDirectory("kept-sst2");
        var (code, output, error) = FinetuneTestData.Cli(["finetune", "--task", "SST-2", "--model", Backbone.Value, "--data", FinetuneTestData.Glue,
            "--seeds", "1,2,3", "--out", out_, .. Quick.SelectMany(s => new[] { "--set", s })]);
        Assert.True(code == 0, error);
        var results = FinetuneResults.Read(Path.Combine(out_, FinetuneResults.FileName));
        Assert.Equal("model", results.KeptModel);
        Assert.Null(results.KeptSeedModels);
        Assert.Contains($"model of seed {results.MedianSeed}", output);
        foreach (var seed in new[] { 1, 2, 3 })
            Assert.False(Directory.Exists(Path.Combine(FinetuneExperiment.SeedFolder(out_, seed), "model")));

        var model = Path.Combine(out_, "model");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        Assert.Equal("ElectraForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("""{"0":"0","1":"1"}""", config["id2label"]!.ToJsonString());
        Assert.Equal("""{"0":0,"1":1}""", config["label2id"]!.ToJsonString());
        Assert.Equal("single_label_classification", config["problem_type"]!.GetValue<string>());
        Assert.Equal("SST-2", config["finetuning_task"]!.GetValue<string>());
        using (var weights = new SafetensorsReader(Path.Combine(model, "model.safetensors")))
        {
            Assert.Equal([64L, 64], weights.Entries["classifier.dense.weight"].Shape);
            Assert.Equal([2L, 64], weights.Entries["classifier.out_proj.weight"].Shape);
            Assert.Equal([2L], weights.Entries["classifier.out_proj.bias"].Shape);
            Assert.True(weights.Entries.ContainsKey("electra.embeddings.word_embeddings.weight"));
            Assert.DoesNotContain(weights.Entries.Keys, k => k.StartsWith("discriminator_predictions.", StringComparison.Ordinal));
        }
        // The tokenizer it was fine-tuned with: the backbone's vocabulary and casing, model_max_length = max_seq_length.
        var tokenizer = HfTokenizerFiles.Read(model)!;
        Assert.Equal((true, (int?)32), (tokenizer.DoLowerCase, tokenizer.ModelMaxLength));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Backbone.Value, "vocab.txt")), File.ReadAllBytes(tokenizer.VocabFile));
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "finetuning.json")))!.AsObject();
        Assert.Equal(results.MedianSeed, info["seed"]!.GetValue<long>());
        Assert.Equal("SST-2", info["task"]!.GetValue<string>());

        // Reloaded from the folder (through the run folder, then after export-hf and import-hf), the dev set gives the same file.
        AssertReproduces(out_, Path.Combine(out_, "SST-2.tsv"), results.Median!.Value, "accuracy");
        var exported = Path.Combine(TestPaths.TempDirectory("kept-export"), "hf");
        (code, _, error) = FinetuneTestData.Cli(["export-hf", out_, "--out", exported]);
        Assert.True(code == 0, error);
        var imported = Path.Combine(TestPaths.TempDirectory("kept-import"), "m");
        (code, output, error) = FinetuneTestData.Cli(["import-hf", exported, "--out", imported]);
        Assert.True(code == 0, error);
        Assert.Contains("imported ElectraForSequenceClassification", output);
        Assert.Contains("model_max_length 32", output);
        AssertReproduces(imported, Path.Combine(out_, "SST-2.tsv"), results.Median!.Value, "accuracy");
    }

    [Fact]
    public void StsB_KeepsARegressionModel_WithOneOutput_WhoseScoresReproduce()
    {
        var out_ = TestPaths.TempDirectory("kept-stsb");
        var results = Experiment("STS-B").Run([4], out_);
        var model = Path.Combine(out_, "model");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        Assert.Equal("regression", config["problem_type"]!.GetValue<string>());
        Assert.Single(config["id2label"]!.AsObject());   // transformers: num_labels = len(id2label) = 1
        using (var weights = new SafetensorsReader(Path.Combine(model, "model.safetensors")))
            Assert.Equal([1L, 64], weights.Entries["classifier.out_proj.weight"].Shape);
        Assert.Equal(5, JsonNode.Parse(File.ReadAllText(Path.Combine(model, "finetuning.json")))!["output_scale"]!.GetValue<double>());

        // STS-B's file holds every score to three decimals: a reproduction of the logits themselves.
        var scores = File.ReadAllLines(Path.Combine(out_, "STS-B.tsv")).Skip(1).Select(l => l.Split('\t')[1]).ToList();
        Assert.Equal(1500, scores.Count);
        Assert.True(scores.Distinct().Count() > 20, "the scores should vary from pair to pair");
        AssertReproduces(out_, Path.Combine(out_, "STS-B.tsv"), results.Median!.Value, "spearmanr");
    }

    [Fact]
    public void KeepAllSeeds_KeepsEverySeedsModel_EachReproducingItsOwnScore()
    {
        var out_ = TestPaths.TempDirectory("kept-all");
        var results = Experiment("SST-2").Run([1, 2], out_, keep: KeptModels.All);
        Assert.Equal(["1", "2"], results.KeptSeedModels!.Keys.Order());
        foreach (var seed in results.Seeds)
        {
            var folder = Path.Combine(out_, results.KeptSeedModels![seed.Seed.ToString(CultureInfo.InvariantCulture)]);
            using var loaded = FinetunedModel.Open(folder);
            Assert.Equal(seed.Seed, loaded.Info!.Seed);
            var (metrics, _) = FinetunedModel.EvaluateDev(loaded, FinetuneTestData.Glue, TestPaths.TempDirectory("kept-eval"));
            Assert.Equal(seed.Metrics["accuracy"], metrics["accuracy"]);
        }
        // model/ is a copy of the median seed's.
        Assert.Equal(File.ReadAllBytes(Path.Combine(out_, results.KeptSeedModels![results.MedianSeed.ToString(CultureInfo.InvariantCulture)], "model.safetensors")),
            File.ReadAllBytes(Path.Combine(out_, "model", "model.safetensors")));

        var none = Experiment("SST-2").Run([1], TestPaths.TempDirectory("kept-none"), keep: KeptModels.None);
        Assert.Null(none.KeptModel);
    }

    [Fact]
    public void Squad_KeepsAQuestionAnsweringModel_WhosePredictionsAndNullOddsReproduce()
    {
        var dev = Path.Combine(FinetuneTestData.Squad, "sample.json");
        var task = FinetuningTask.Parse("squad2");
        var source = BackboneSource.RandomInit(FinetuneTestData.Tiny(positions: 128), FinetuneTestData.BertVocab);
        var config = FinetuningConfigLoader.Load(task, source.Config,
            ["max_seq_length=128", "doc_stride=64", "max_query_length=32", "train_batch_size=8", "num_train_epochs=1", "eval_batch_size=16",
             "learning_rate=1e-3", "device=cpu", "precision=fp32", $"train_file={dev}"]);
        var out_ = TestPaths.TempDirectory("kept-squad");
        var results = FinetuneExperiment.Prepare(task, source, dev, config).Run([7], out_);

        var model = Path.Combine(out_, "model");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        Assert.Equal("ElectraForQuestionAnswering", json["architectures"]![0]!.GetValue<string>());
        Assert.Equal(2, json["id2label"]!.AsObject().Count);   // ElectraForQuestionAnswering: qa_outputs = Linear(hidden, num_labels)
        using (var weights = new SafetensorsReader(Path.Combine(model, "model.safetensors")))
            Assert.Equal([2L, 64], weights.Entries["qa_outputs.weight"].Shape);
        Assert.Equal(128, HfTokenizerFiles.Read(model)!.ModelMaxLength);

        var (code, output, error) = FinetuneTestData.Cli(["eval", "model", "--model", out_, "--data", dev, "--out", Path.Combine(out_, "again")]);
        Assert.True(code == 0, error);
        foreach (var file in new[] { SquadFinetuner.PredictionsFile, SquadFinetuner.NaProbsFile })
            Assert.Equal(File.ReadAllText(Path.Combine(out_, file)), File.ReadAllText(Path.Combine(out_, "again", file)));
        Assert.Equal(results.Median!.Value, JsonNode.Parse(output)!["f1"]!.GetValue<double>(), 9);
    }

    [Fact]
    public void Finetune_FromACasedModel_TokenizesCased()
    {
        var dir = TestPaths.TempDirectory("kept-cased");
        foreach (var file in Directory.GetFiles(Backbone.Value)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var config = Path.Combine(dir, "tokenizer_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"do_lower_case\": true", "\"do_lower_case\": false"));
        var cased = FinetuneExperiment.Prepare("SST-2", dir, FinetuneTestData.Glue, Quick);
        Assert.False(cased.Config.DoLowerCase);
        Assert.Equal(64, cased.Source.ModelMaxLength);
        // An explicit --set still wins over the model's tokenizer.
        Assert.True(FinetuneExperiment.Prepare("SST-2", dir, FinetuneTestData.Glue, [.. Quick, "do_lower_case=true"]).Config.DoLowerCase);
    }

    private static FinetuneExperiment Experiment(string task) =>
        FinetuneExperiment.Prepare(task, Backbone.Value, FinetuneTestData.Glue, Quick);

    /// <summary>`eval model` on <paramref name="model"/> writes a file equal to <paramref name="expectedFile"/> and prints the same score.</summary>
    private static void AssertReproduces(string model, string expectedFile, double expectedScore, string metric)
    {
        var again = TestPaths.TempDirectory("kept-eval");
        var (code, output, error) = FinetuneTestData.Cli(["eval", "model", "--model", model, "--data", FinetuneTestData.Glue, "--out", again]);
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllText(expectedFile), File.ReadAllText(Path.Combine(again, Path.GetFileName(expectedFile))));
        Assert.Equal(expectedScore, JsonNode.Parse(output)![metric]!.GetValue<double>(), 12);
    }
}
