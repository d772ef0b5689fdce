using System.Text.Json.Nodes;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Config.Finetuning.Glue;
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Tests.Evaluation;

/// <summary>Every GLUE prediction file under reference-metrics/glue scores what scikit-learn/SciPy stored for it.</summary>
[Trait("Category", "Unit")]
public sealed class GlueReferenceMetricTests
{
    public static TheoryData<string, string> PredictionFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(Path.Combine(MetricReferences.Root, "glue"), "*.json").Order(StringComparer.Ordinal))
        {
            var reference = JsonNode.Parse(File.ReadAllText(file))!;
            foreach (var (name, _) in reference["predictions"]!.AsObject())
                data.Add(Path.GetFileNameWithoutExtension(file), name);
        }
        return data;
    }

    [Fact]
    public void ReferenceFolder_CoversTheSixTasksWithPredictions() => Assert.Equal(18, PredictionFiles().Count);

    [Theory, MemberData(nameof(PredictionFiles))]
    public void PredictionFile_ScoresTheStoredMetrics(string task, string prediction)
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(MetricReferences.Root, "glue", task + ".json")))!;
        var devPath = MetricReferences.Resolve(reference["dev_file"]!.GetValue<string>());
        Assert.Equal(reference["dev_sha256"]!.GetValue<string>(), MetricReferences.Sha256(devPath));
        var glueTask = GlueTasks.Get(task);
        var dev = GlueLoader.LoadFile(glueTask, devPath, GlueSplit.Dev);
        Assert.Equal(reference["n_examples"]!.GetValue<int>(), dev.Examples.Count);

        var entry = reference["predictions"]![prediction]!;
        var rows = GlueSubmission.Read(MetricReferences.Resolve(entry["file"]!.GetValue<string>()));
        var scores = GlueEvaluation.ScoreSubmission(dev, rows, prediction).ToDictionary(kv => kv.Key, kv => kv.Value);

        var expected = entry["metrics"]!.AsObject();
        Assert.Equal(expected.Count, scores.Count);
        foreach (var (key, value) in expected)
        {
            var metric = key switch
            {
                "accuracy" => GlueMetric.Accuracy,
                "f1" => GlueMetric.F1,
                "matthews_corr" => GlueMetric.MatthewsCorrelation,
                "pearson" => GlueMetric.Pearson,
                "spearman" => GlueMetric.Spearman,
                _ => throw new InvalidDataException($"unknown metric '{key}' in {task}.json"),
            };
            MetricReferences.AssertClose(value?.GetValue<double>(), scores[metric], $"{task}/{prediction}/{key}");
        }
    }
}
