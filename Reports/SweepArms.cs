using System.Globalization;
using System.Text.Json.Nodes;
using ElectraLab.Config.Pretraining;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;

namespace ElectraLab.Reports;

/// <summary>One evaluation point of an arm: the runs of each task at one checkpoint step, and the train FLOPs there.</summary>
public sealed record ArmPoint(long Step, double TrainFlops, IReadOnlyDictionary<string, IReadOnlyList<double>> Runs);

/// <summary>
/// One arm of a sweep: the experiments that differ only by pre-training seed. <see cref="Values"/> holds its value of
/// each search axis (JSON text); <see cref="IsBaseline"/> marks an arm that was not pre-trained (num_train_steps 0).
/// </summary>
public sealed record Arm(string Key, string Label, IReadOnlyDictionary<string, string> Values, bool IsBaseline,
    IReadOnlyList<ExperimentExport> Experiments, IReadOnlyList<ArmPoint> Points)
{
    /// <summary>The arm's last evaluation: the end of its pre-training.</summary>
    public ArmPoint? Final => Points.Count == 0 ? null : Points[^1];
}

/// <summary>Groups a sweep's experiments into arms and their evaluation rows into runs of each task's main metric.</summary>
public static class SweepArms
{
    /// <summary>The search axes, in the spec's order (grid, then random), without seeds.</summary>
    public static IReadOnlyList<string> Axes(SweepResultsExport results)
    {
        var search = results.Sweep.Spec?["Search"];
        IEnumerable<string> Keys(string list) => (search?[list] as JsonArray ?? []).Select(a => a?["Key"]?.GetValue<string>()).OfType<string>();
        return Keys("Grid").Concat(Keys("Random")).Where(k => k != "seed").Distinct().ToList();
    }

    /// <summary>Each task's main metric as the leaderboard scores it (CoLA: MCC, STS-B: Spearman, SQuAD: F1, others: accuracy).</summary>
    public static string? MainMetric(string task) =>
        Benchmarks.Columns.FirstOrDefault(c => c.Task == task && c.InScore)?.Metric;

    /// <summary>Tasks in the order the paper lists them, then any others by name.</summary>
    public static IReadOnlyList<string> Tasks(SweepResultsExport results)
    {
        var order = Benchmarks.Columns.Select(c => c.Task).Distinct().ToList();
        return results.Experiments.SelectMany(e => e.Results).Select(r => r.Task).Distinct()
            .Where(t => MainMetric(t) is not null)
            .OrderBy(t => order.IndexOf(t)).ThenBy(t => t, StringComparer.Ordinal).ToList();
    }

    /// <summary>The paper's name of a task ("SST-2", "SQuAD 1.1").</summary>
    public static string TaskName(string task) => task switch
    {
        "cola" => "CoLA", "sst2" => "SST-2", "mrpc" => "MRPC", "stsb" => "STS-B", "qqp" => "QQP", "mnli" => "MNLI", "qnli" => "QNLI",
        "rte" => "RTE", "squad1" => "SQuAD 1.1", "squad2" => "SQuAD 2.0", _ => task,
    };

    public static IReadOnlyList<Arm> Group(SweepResultsExport results)
    {
        var axes = Axes(results);
        var arms = new List<Arm>();
        // Every experiment that was not pre-trained is one baseline arm, whatever its other values (search.baseline
        // gives it the base config's).
        static bool NotPretrained(ExperimentExport e) => e.Config?["num_train_steps"]?.GetValue<long>() == 0;
        foreach (var group in results.Experiments.Where(e => e.Status == "completed")
                     .GroupBy(e => NotPretrained(e) ? "baseline" : string.Join("\u001f", axes.Select(a => ValueOf(e, a))), StringComparer.Ordinal))
        {
            var experiments = group.OrderBy(e => e.Seed).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
            var baseline = group.Key == "baseline";
            var values = axes.ToDictionary(a => a, a => ValueOf(experiments[0], a), StringComparer.Ordinal);
            arms.Add(new Arm(group.Key, Label(values, baseline), values, baseline, experiments, Points(experiments)));
        }
        // Baselines last; otherwise in the order the spec's axes list their values.
        return arms.OrderBy(a => a.IsBaseline).ThenBy(a => Rank(results, axes, a), StringComparer.Ordinal).ToList();
    }

    private static string ValueOf(ExperimentExport experiment, string axis) =>
        experiment.Config?[axis]?.ToJsonString() ?? "null";

    private static string Label(IReadOnlyDictionary<string, string> values, bool baseline)
    {
        if (baseline) return "no pre-training";
        if (values.Count == 0) return "all runs";
        return string.Join(", ", values.Select(kv => kv.Key switch
        {
            "objective" => ObjectiveName(kv.Value.Trim('"')),
            "generator_hidden_size" => $"generator {Fraction(kv.Value)}",
            _ => $"{kv.Key}={kv.Value.Trim('"')}",
        }));
    }

    /// <summary>The paper's names for the objectives (Table 5).</summary>
    public static string ObjectiveName(string objective) => objective switch
    {
        "electra" => "ELECTRA",
        "mlm" => "BERT (MLM)",
        "electra-15" => "ELECTRA 15%",
        "replace-mlm" => "Replace MLM",
        "all-tokens-mlm" => "All-Tokens MLM",
        _ => objective,
    };

    private static string Fraction(string json)
    {
        if (!double.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)) return json;
        foreach (var d in new[] { 1, 2, 3, 4, 6, 8, 16 })
        {
            var n = Math.Round(x * d);
            if (n >= 1 && Math.Abs(x * d - n) < 1e-9) return n == d ? "1" : $"{n:0}/{d}";
        }
        return x.ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>Where an arm's values stand in the spec's value lists: arms sort as the spec wrote them.</summary>
    private static string Rank(SweepResultsExport results, IReadOnlyList<string> axes, Arm arm)
    {
        var grid = results.Sweep.Spec?["Search"]?["Grid"] as JsonArray ?? [];
        var parts = axes.Select(axis =>
        {
            var listed = grid.FirstOrDefault(g => g?["Key"]?.GetValue<string>() == axis)?["ValuesJson"] as JsonArray;
            var index = listed?.Select(v => JsonNode.Parse(v!.GetValue<string>())?.ToJsonString()).ToList().IndexOf(arm.Values[axis]) ?? -1;
            return (index < 0 ? 999 : index).ToString("D3", CultureInfo.InvariantCulture) + arm.Values[axis];
        });
        return string.Join("|", parts);
    }

    /// <summary>Every checkpoint step the arm was evaluated at, with each task's runs (all pre-training × fine-tuning seeds).</summary>
    private static List<ArmPoint> Points(IReadOnlyList<ExperimentExport> experiments)
    {
        var perStep = PerStepFlops(experiments[0]);
        return experiments.SelectMany(e => e.Results)
            .Where(r => MainMetric(r.Task) == r.Metric && double.IsFinite(r.Value))
            .GroupBy(r => r.Step)
            .OrderBy(g => g.Key)
            .Select(g => new ArmPoint(g.Key, perStep * g.Key, g.GroupBy(r => r.Task, StringComparer.Ordinal)
                .ToDictionary(t => t.Key, t => (IReadOnlyList<double>)t.Select(r => r.Value).ToList(), StringComparer.Ordinal)))
            .ToList();
    }

    /// <summary>Train FLOPs of one step of the arm's config (the paper's counting); 0 when the config cannot be read.</summary>
    private static double PerStepFlops(ExperimentExport experiment)
    {
        try
        {
            return experiment.Config is null ? 0 : FlopCounter.PerStep(PretrainingConfigLoader.FromJson(experiment.Config.ToJsonString()));
        }
        catch (ArgumentException)
        {
            return 0;
        }
    }
}
