using System.Globalization;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Tests.Support;
using Xunit.Abstractions;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>
/// SQuAD fine-tuning end to end on the transformers sample files (14 questions): a tiny random-init model trained
/// for a few steps on the sample itself (plumbing, not accuracy), decoded, written, and scored by `eval squad`.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class SquadFinetuningTests(ITestOutputHelper log)
{
    private static readonly string[] Quick =
    [
        "max_seq_length=128", "doc_stride=64", "max_query_length=32", "train_batch_size=8", "num_train_epochs=2",
        "eval_batch_size=16", "learning_rate=1e-3", "log_every=2", "device=cpu", "precision=fp32",
    ];

    private FinetuneResults FineTune(string task, string devFile, string outDir)
    {
        var parsed = FinetuningTask.Parse(task);
        var source = BackboneSource.RandomInit(FinetuneTestData.Tiny(positions: 128), FinetuneTestData.BertVocab);
        var config = FinetuningConfigLoader.Load(parsed, source.Config, [.. Quick, $"train_file={devFile}"]);
        var experiment = FinetuneExperiment.Prepare(parsed, source, devFile, config);
        Assert.True(experiment.DataSummary["train_features"] > 0);
        return experiment.Run([7], outDir, p => log.WriteLine($"{p.Phase} {p.Step}/{p.TotalSteps} loss {p.Loss:F4}"));
    }

    private static JsonObject Score(params string[] args)
    {
        var (code, output, error) = FinetuneTestData.Cli(["eval", "squad", .. args]);
        Assert.True(code == 0, error);
        return JsonNode.Parse(output)!.AsObject();
    }

    [Fact]
    public void Squad2_OnTheSample_WritesPredictionsAndNaProbsThatTheOfficialScorerAccepts()
    {
        var dev = Path.Combine(FinetuneTestData.Squad, "sample.json");
        var out_ = TestPaths.TempDirectory("squad2");
        var results = FineTune("SQuAD2.0", dev, out_);

        var predictions = Path.Combine(out_, SquadFinetuner.PredictionsFile);
        var naProbs = Path.Combine(out_, SquadFinetuner.NaProbsFile);
        var ids = SquadDataset.Load(dev).Gold().Select(g => g.Id).ToList();
        Assert.Equal(ids, SquadPredictionFiles.ReadPredictions(predictions).Keys);
        Assert.Equal(ids, SquadPredictionFiles.ReadNaProbs(naProbs).Select(kv => kv.Key));

        var metrics = results.Seeds.Single().Metrics;
        var threshold = metrics["null_threshold"]!.Value;
        log.WriteLine($"squad2 sample: {string.Join(", ", metrics.Select(kv => $"{kv.Key} {kv.Value:F2}"))}");
        // The scorer on the written files reproduces results.json: at the dev-chosen threshold, and its best_f1.
        var scored = Score("--dataset", dev, "--predictions", predictions, "--na-prob", naProbs,
            "--na-prob-thresh", threshold.ToString("R", CultureInfo.InvariantCulture));
        Assert.Equal(14, scored["total"]!.GetValue<int>());
        Assert.Equal(metrics["exact"]!.Value, scored["exact"]!.GetValue<double>(), 9);
        Assert.Equal(metrics["f1"]!.Value, scored["f1"]!.GetValue<double>(), 9);
        Assert.Equal(metrics["best_f1"]!.Value, scored["best_f1"]!.GetValue<double>(), 9);
        Assert.Equal(metrics["f1"]!.Value, metrics["best_f1"]!.Value, 9);
        Assert.Equal("f1", results.MainMetric);
    }

    [Fact]
    public void Squad1_OnAV11FileFromTheSample_WritesPredictionsThatTheOfficialScorerAccepts()
    {
        // The v2.0 sample in the official layout, minus its unanswerable questions, labelled version 1.1.
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(FinetuneTestData.Squad, "dev-v2.0.sample.json")))!.AsObject();
        json["version"] = "1.1";
        foreach (var paragraph in json["data"]!.AsArray().SelectMany(a => a!["paragraphs"]!.AsArray()))
        {
            var qas = paragraph!["qas"]!.AsArray();
            foreach (var q in qas.Where(q => q!["is_impossible"]?.GetValue<bool>() == true).ToList()) qas.Remove(q);
            foreach (var q in qas) q!.AsObject().Remove("is_impossible");
        }
        var dev = Path.Combine(TestPaths.TempDirectory("squad1-data"), "dev-v1.1.json");
        File.WriteAllText(dev, json.ToJsonString());
        var out_ = TestPaths.TempDirectory("squad1");
        var results = FineTune("squad1", dev, out_);

        var predictions = Path.Combine(out_, SquadFinetuner.PredictionsFile);
        Assert.False(File.Exists(Path.Combine(out_, SquadFinetuner.NaProbsFile)));
        var scored = Score("--dataset", dev, "--predictions", predictions);
        var metrics = results.Seeds.Single().Metrics;
        log.WriteLine($"squad1 sample: exact_match {metrics["exact_match"]:F2}, f1 {metrics["f1"]:F2}");
        Assert.Equal(metrics["exact_match"]!.Value, scored["exact_match"]!.GetValue<double>(), 9);
        Assert.Equal(metrics["f1"]!.Value, scored["f1"]!.GetValue<double>(), 9);
        Assert.Equal(SquadDataset.Load(dev).QuestionCount, SquadPredictionFiles.ReadPredictions(predictions).Count);
    }
}
