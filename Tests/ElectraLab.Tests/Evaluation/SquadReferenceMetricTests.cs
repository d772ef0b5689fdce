using System.Text.Json.Nodes;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Squad;

namespace ElectraLab.Tests.Evaluation;

/// <summary>Every run under reference-metrics/squad: the scorer prints the numbers (and keys, in order) evaluate-v2.0.py printed.</summary>
[Trait("Category", "Unit")]
public sealed class SquadReferenceMetricTests
{
    public static TheoryData<string, string> Runs()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(Path.Combine(MetricReferences.Root, "squad"), "*.json").Order(StringComparer.Ordinal))
            foreach (var run in JsonNode.Parse(File.ReadAllText(file))!["runs"]!.AsArray())
                data.Add(Path.GetFileNameWithoutExtension(file), run!["name"]!.GetValue<string>());
        return data;
    }

    [Fact]
    public void ReferenceFolder_HasTheNineSampleRuns() => Assert.Equal(9, Runs().Count);

    [Theory, MemberData(nameof(Runs))]
    public void Run_MatchesTheOfficialOutput(string dataset, string runName)
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(MetricReferences.Root, "squad", dataset + ".json")))!;
        var datasetPath = MetricReferences.Resolve(reference["dataset_file"]!.GetValue<string>());
        Assert.Equal(reference["dataset_sha256"]!.GetValue<string>(), MetricReferences.Sha256(datasetPath));
        var run = reference["runs"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == runName)!;
        var predictionsPath = MetricReferences.Resolve(reference["predictions"]![run["prediction"]!.GetValue<string>()]!["file"]!.GetValue<string>());
        List<KeyValuePair<string, double>>? naProbs = null;
        if (run["na_prob_file"]?.GetValue<string>() is { } naName)
            naProbs = SquadPredictionFiles.ReadNaProbs(MetricReferences.Resolve(reference["na_prob_files"]![naName]!["file"]!.GetValue<string>()));
        var threshold = run["na_prob_thresh"]?.GetValue<double>() ?? 1.0;

        var gold = SquadDataset.Load(datasetPath);
        Assert.True(gold.IsV2);
        var result = SquadV2Evaluator.Evaluate(gold.Gold(), SquadPredictionFiles.ReadPredictions(predictionsPath), naProbs, threshold);

        var expected = run["output"]!.AsObject();
        var actual = result.OfficialFields;
        Assert.Equal(expected.Select(kv => kv.Key), actual.Select(kv => kv.Key));
        foreach (var (key, value) in actual)
            MetricReferences.AssertClose(expected[key]!.GetValue<double>(), Convert.ToDouble(value), $"{runName}/{key}");

        // The official output file holds json.dumps(indent=2) text; ours parses to the same object.
        var official = JsonNode.Parse(File.ReadAllText(MetricReferences.Resolve(run["official_output_file"]!.GetValue<string>())))!;
        Assert.True(JsonNode.DeepEquals(official, JsonNode.Parse(result.ToOfficialJson())), result.ToOfficialJson());
    }
}
