using System.Text.Json.Nodes;
using ElectraLab.Cli;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Tests.Evaluation;

/// <summary>`electralab eval glue|squad` in-process: the JSON it prints, and one clear error line for bad input.</summary>
[Trait("Category", "Unit")]
public sealed class EvalCommandTests
{
    private static string Glue => Path.Combine(TestPaths.Shared, "data", "glue");
    private static string Squad => Path.Combine(TestPaths.Shared, "data", "squad");

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertFailsWithOneLine(string[] args, string mentions)
    {
        var (code, output, error) = Run(args);
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        var lines = error.TrimEnd().Split('\n');
        Assert.True(lines.Length == 1, $"expected one error line, got:\n{error}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
    }

    private static string WriteSubmission(string name, IEnumerable<(string Index, string Prediction)> rows, string header = "index\tprediction")
    {
        var path = Path.Combine(TestPaths.TempDirectory("eval"), name);
        File.WriteAllLines(path, [header, .. rows.Select(r => $"{r.Index}\t{r.Prediction}")]);
        return path;
    }

    [Theory]
    [InlineData("MRPC", "majority", "{\"f1\": 0.8122270742358079, \"accuracy\": 0.6838235294117647}")]
    [InlineData("CoLA", "majority", "{\"matthews_correlation\": 0.0}")]
    [InlineData("STS-B", "majority", "{\"pearson\": null, \"spearmanr\": null}")]
    public void Glue_PrintsTheTaskMetricsAsOneJsonObject(string task, string prediction, string expected)
    {
        var file = Path.Combine(MetricReferences.Root, "glue", task, prediction + ".tsv");
        var (code, output, error) = Run("eval", "glue", "--task", task, "--data-dir", Glue, "--predictions", file);
        Assert.True(code == 0, error);
        Assert.Equal(expected, output.Trim());
    }

    [Theory]
    [InlineData("SST-2", "random")]
    [InlineData("RTE", "mostly_correct")]
    [InlineData("STS-B", "mostly_correct")]
    [InlineData("WNLI", "random")]
    public void Glue_NumbersEqualTheReferences(string task, string prediction)
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(MetricReferences.Root, "glue", task + ".json")))!["predictions"]![prediction]!["metrics"]!;
        var file = Path.Combine(MetricReferences.Root, "glue", task, prediction + ".tsv");
        var (code, output, error) = Run("eval", "glue", "--task", task, "--data-dir", Glue, "--predictions", file);
        Assert.True(code == 0, error);
        var printed = JsonNode.Parse(output)!.AsObject();
        foreach (var (key, value) in reference.AsObject())
        {
            var cliKey = key switch { "matthews_corr" => "matthews_correlation", "spearman" => "spearmanr", _ => key };
            MetricReferences.AssertClose(value!.GetValue<double>(), printed[cliKey]!.GetValue<double>(), $"{task}/{key}");
        }
    }

    [Theory]
    [InlineData("MNLI-m", "dev_matched.tsv", 9815)]
    [InlineData("MNLI-mm", "dev_mismatched.tsv", 9832)]
    [InlineData("QNLI", "dev.tsv", 5463)]
    [InlineData("QQP", "dev.tsv", 9)]
    public void Glue_GoldPredictionsScorePerfectly_OnTheTasksWithoutReferenceFiles(string task, string devFile, int rows)
    {
        var folder = task.StartsWith("MNLI") ? "MNLI" : task;
        var layout = Config.Finetuning.Glue.GlueTasks.Get(task);
        var dev = Electra.Finetuning.Glue.GlueLoader.LoadFile(layout, Path.Combine(Glue, folder, devFile), Config.Finetuning.Glue.GlueSplit.Dev);
        Assert.Equal(rows, dev.Examples.Count);
        var file = WriteSubmission("gold.tsv", dev.Examples.Select(e => (e.Index, e.Label!)));
        var (code, output, error) = Run("eval", "glue", "--task", task, "--data-dir", Glue, "--predictions", file);
        Assert.True(code == 0, error);
        var printed = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(1.0, printed["accuracy"]!.GetValue<double>());
        Assert.Equal(task == "QQP" ? 2 : 1, printed.Count);
    }

    [Fact]
    public void Qqp_PredictionsKeyedByRowIndex_ScoreAsThoseKeyedById()
    {
        var dev = Electra.Finetuning.Glue.GlueLoader.Load(Config.Finetuning.Glue.GlueTasks.Qqp, Glue, Config.Finetuning.Glue.GlueSplit.Dev);
        Assert.Equal(9, dev.Examples.Count);
        Assert.Equal("201359", dev.Examples[0].Index);   // QQP's dev file keys rows by its pair id, not 0..N-1
        // Two of nine wrong, so accuracy and F1 are both below 1 and sensitive to which row is which.
        var predictions = dev.Examples.Select((e, i) => i is 1 or 4 ? (e.Label == "1" ? "0" : "1") : e.Label!).ToList();
        var byId = WriteSubmission("by-id.tsv", dev.Examples.Select((e, i) => (e.Index, predictions[i])));
        var byRow = WriteSubmission("by-row.tsv", predictions.Select((p, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), p)));

        var (code, fromIds, error) = Run("eval", "glue", "--task", "QQP", "--data-dir", Glue, "--predictions", byId);
        Assert.True(code == 0, error);
        (code, var fromRows, error) = Run("eval", "glue", "--task", "QQP", "--data-dir", Glue, "--predictions", byRow);
        Assert.True(code == 0, error);
        Assert.Equal(fromIds, fromRows);
        Assert.Equal(7.0 / 9, JsonNode.Parse(fromRows)!["accuracy"]!.GetValue<double>(), 12);

        // One file, one numbering: a row index after an id-keyed first row (and vice versa) is an error naming the row.
        var mixed = dev.Examples.Select((e, i) => (i == 3 ? "3" : e.Index, predictions[i]));
        AssertFailsWithOneLine(["eval", "glue", "--task", "QQP", "--data-dir", Glue, "--predictions", WriteSubmission("mixed.tsv", mixed)],
            $"row 4 has index '3', expected '{dev.Examples[3].Index}', the dev file's own index");
        var shuffled = predictions.Select((p, i) => ((i == 2 ? 5 : i == 5 ? 2 : i).ToString(System.Globalization.CultureInfo.InvariantCulture), p));
        AssertFailsWithOneLine(["eval", "glue", "--task", "QQP", "--data-dir", Glue, "--predictions", WriteSubmission("shuffled.tsv", shuffled)],
            "row 3 has index '5', expected '2', as the file numbers its rows 0..N-1");
    }

    [Fact]
    public void Glue_BadInputs_FailWithOneLineNamingTheProblem()
    {
        var good = Path.Combine(MetricReferences.Root, "glue", "RTE", "majority.tsv");
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTX", "--data-dir", Glue, "--predictions", good], "unknown GLUE task 'RTX'");
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue, "--predictions", good + ".missing"], "majority.tsv.missing");
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue + "-missing", "--predictions", good], "glue-missing");
        AssertFailsWithOneLine(["eval", "glue", "--task", "SST-2", "--data-dir", Glue, "--predictions", good], "277 predictions");
        var rows = File.ReadAllLines(good).Skip(1).Select(l => l.Split('\t')).Select(f => (f[0], f[1])).ToList();
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue, "--predictions", WriteSubmission("h.tsv", rows, "id\tlabel")], "header");
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue, "--predictions", WriteSubmission("short.tsv", rows.Skip(1))], "276 predictions");
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue, "--predictions", WriteSubmission("label.tsv", rows.Select(r => (r.Item1, "yes")))], "'yes'");
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue, "--predictions", WriteSubmission("order.tsv", rows.AsEnumerable().Reverse())], "row 1 has index '276'");
        var columns = Path.Combine(TestPaths.TempDirectory("eval"), "cols.tsv");
        File.WriteAllLines(columns, ["index\tprediction", "0\tentailment\textra"]);
        AssertFailsWithOneLine(["eval", "glue", "--task", "RTE", "--data-dir", Glue, "--predictions", columns], "3 columns");
    }

    [Fact]
    public void Glue_MissingRequiredOption_ExitsNonZero()
    {
        var (code, _, error) = Run("eval", "glue", "--task", "RTE");
        Assert.NotEqual(0, code);
        Assert.Contains("--data-dir", error);
    }

    [Fact]
    public void Squad_EveryReferenceRun_PrintsTheOfficialOutput()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(MetricReferences.Root, "squad", "dev-v2.0.sample.json")))!;
        foreach (var run in reference["runs"]!.AsArray())
        {
            var args = new List<string> { "eval", "squad", "--dataset", MetricReferences.Resolve(reference["dataset_file"]!.GetValue<string>()),
                "--predictions", MetricReferences.Resolve(reference["predictions"]![run!["prediction"]!.GetValue<string>()]!["file"]!.GetValue<string>()) };
            if (run["na_prob_file"]?.GetValue<string>() is { } na)
                args.AddRange(["--na-prob", MetricReferences.Resolve(reference["na_prob_files"]![na]!["file"]!.GetValue<string>())]);
            if (run["na_prob_thresh"] is { } thresh) args.AddRange(["--na-prob-thresh", thresh.ToJsonString()]);
            var (code, output, error) = Run([.. args]);
            Assert.True(code == 0, error);
            var official = File.ReadAllText(MetricReferences.Resolve(run["official_output_file"]!.GetValue<string>()));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(official), JsonNode.Parse(output)), $"{run["name"]}:\n{output}\nvs\n{official}");
            // evaluate-v2.0.py prints json.dumps(indent=2); the stored files were re-serialised with indent 1, so
            // the text is compared after normalising the indentation.
            Assert.Equal(official.Replace("\n ", "\n  ").Trim(), output.Trim());
        }
    }

    [Fact]
    public void Squad_V11_PrintsExactMatchAndF1LikeTheOfficialScript()
    {
        var dev = Path.Combine(Squad, "dev-v1.1.json");
        var gold = Electra.Finetuning.Squad.SquadDataset.Load(dev).Gold();
        var predictions = Path.Combine(TestPaths.TempDirectory("eval"), "predictions.json");
        // Every answer correct except the first 100, which get an unrelated word.
        Electra.Finetuning.Squad.SquadPredictionFiles.WritePredictions(predictions,
            gold.Select((g, i) => (g.Id, Text: i < 100 ? "zebra" : g.Answers[0])).ToDictionary(x => x.Id, x => x.Text));
        var (code, output, error) = Run("eval", "squad", "--dataset", dev, "--predictions", predictions);
        Assert.True(code == 0, error);
        var expected = 100.0 * (gold.Count - 100) / gold.Count;
        Assert.Equal($"{{\"exact_match\": {Electra.Evaluation.PythonJson.Float(expected)}, \"f1\": {Electra.Evaluation.PythonJson.Float(expected)}}}", output.Trim());
    }

    [Fact]
    public void Squad_BadInputs_FailWithOneLine()
    {
        var dev2 = Path.Combine(Squad, "dev-v2.0.sample.json");
        var exact = Path.Combine(MetricReferences.Root, "squad", "dev-v2.0.sample", "predictions", "exact_gold.json");
        AssertFailsWithOneLine(["eval", "squad", "--dataset", dev2 + ".nope", "--predictions", exact], "dev-v2.0.sample.json.nope");
        var partial = Path.Combine(TestPaths.TempDirectory("eval"), "partial.json");
        File.WriteAllText(partial, "{\"56ddde6b9a695914005b9628\": \"France\"}");
        AssertFailsWithOneLine(["eval", "squad", "--dataset", dev2, "--predictions", partial], "56ddde6b9a695914005b9629");
        var notJson = Path.Combine(TestPaths.TempDirectory("eval"), "bad.json");
        File.WriteAllText(notJson, "[1, 2");
        AssertFailsWithOneLine(["eval", "squad", "--dataset", dev2, "--predictions", notJson], "");
        AssertFailsWithOneLine(["eval", "squad", "--dataset", Path.Combine(Squad, "dev-v1.1.json"), "--predictions", exact, "--na-prob", exact], "SQuAD 2.0");
    }
}
