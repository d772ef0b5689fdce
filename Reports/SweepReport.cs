using System.Globalization;
using System.Text.Json.Nodes;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;

namespace ElectraLab.Reports;

/// <summary>
/// A sweep's report from its exported results alone (so `electralab report --from results.json` regenerates it to the
/// byte): the findings, the table of each arm's median and 95% interval per task and over the tasks, the paper's
/// numbers beside them where it has them, the compute curves, and the experiments it was made from.
/// </summary>
public static class SweepReport
{
    public static ReportDocument Build(SweepResultsExport results)
    {
        if (results.Format != SweepResultsExport.CurrentFormat)
            throw new InvalidDataException($"results format '{results.Format}' is not {SweepResultsExport.CurrentFormat}");
        if (results.Sweep is null || results.Experiments is null || results.Experiments.Any(e => e?.Results is null))
            throw new InvalidDataException("the results lack their sweep, experiments or evaluation rows");
        var axes = SweepArms.Axes(results);
        var arms = SweepArms.Group(results);
        var tasks = SweepArms.Tasks(results);
        var blocks = new List<ReportBlock>();
        var completed = results.Experiments.Count(e => e.Status == "completed");
        var finetuneSeeds = results.Experiments.SelectMany(e => e.Results).Select(r => r.Seed).Distinct().Count();
        var pretrainSeeds = results.Experiments.Select(e => e.Seed).Distinct().Count();
        blocks.Add(new ReportParagraph(Invariant($"Sweep {results.Sweep.Name} ({results.Sweep.Id}), {results.Sweep.Status}: ") +
            Invariant($"{results.Experiments.Count} experiments, {completed} completed, in {arms.Count} arms") +
            (axes.Count > 0 ? $" (axes: {string.Join(", ", axes)})" : "") +
            Invariant($"; {pretrainSeeds} pre-training seed(s), {finetuneSeeds} fine-tuning seed(s); tasks: ") +
            (tasks.Count > 0 ? string.Join(", ", tasks.Select(SweepArms.TaskName)) : "none evaluated") + "."));
        blocks.Add(new ReportParagraph(
            "Scores are ×100: CoLA Matthews correlation, STS-B Spearman correlation, SQuAD F1, accuracy elsewhere (the paper's " +
            "metrics). Each cell is the median over every run of an arm (pre-training seeds × fine-tuning seeds) with its 95% " +
            $"percentile-bootstrap interval ({Bootstrap.Resamples:N0} resamples); the score is the mean over tasks of the task medians. " +
            "A finding holds when the interval of the score difference lies above zero, does not hold when it lies below, and is " +
            "not decided when it holds zero."));

        blocks.Add(new ReportHeading(2, "Findings"));
        var findings = Findings.Test(arms, axes);
        blocks.Add(findings.Count > 0
            ? new ReportBullets(findings.Select(f => f.Sentence).ToList())
            : new ReportParagraph("This sweep's design tests none of the paper's findings (it needs objectives, generator sizes or a no-pre-training arm as its axis)."));

        blocks.Add(new ReportHeading(2, "Results at the end of pre-training"));
        blocks.Add(ResultsTable(arms, tasks, axes));

        var curves = arms.Where(a => a.Points.Count > 1).ToList();
        if (curves.Count > 0)
        {
            blocks.Add(new ReportHeading(2, "Compute curves"));
            var series = curves.Select(a => new PlotSeries(a.Label,
                a.Points.Select(p => (p.TrainFlops, Score(a, p))).Where(p => p.Item2 is not null).Select(p => (p.TrainFlops, p.Item2!.Value)).ToList())).ToList();
            blocks.Add(new ReportFigure("compute-curve.svg", SvgPlot.Lines(series, "pre-training FLOPs", $"score ×100 ({ScoreLabel(tasks)})", logX: true),
                "Score against pre-training FLOPs, each arm's evaluations with 95% intervals"));
            blocks.Add(CurveTable(curves));
        }

        var sized = axes.SequenceEqual(["generator_hidden_size"]) ? arms.Where(a => !a.IsBaseline && a.Final is not null).ToList() : [];
        if (sized.Count > 1)
        {
            blocks.Add(new ReportHeading(2, "Generator size"));
            var points = sized.Select(a => (double.Parse(a.Values["generator_hidden_size"], CultureInfo.InvariantCulture), Score(a, a.Final!)))
                .Where(p => p.Item2 is not null).Select(p => (p.Item1, p.Item2!.Value)).ToList();
            blocks.Add(new ReportFigure("generator-size.svg", SvgPlot.Lines([new PlotSeries("score", points)], "generator size (fraction of the discriminator)",
                $"score ×100 ({ScoreLabel(tasks)})", logX: false), "Score against generator size (paper Figure 3 left: best at 1/4–1/2)"));
        }

        blocks.Add(new ReportHeading(2, "Experiments"));
        blocks.Add(new ReportTable(["experiment", "arm", "seed", "status", "train FLOPs", "data"],
            results.Experiments.Select(e => (IReadOnlyList<string>)
            [
                e.Name, arms.FirstOrDefault(a => a.Experiments.Contains(e))?.Label ?? "–", e.Seed.ToString(CultureInfo.InvariantCulture), e.Status,
                Findings.Flops(e.TrainFlops), e.DatasetSha256 is { } sha ? sha[..12] : "–",
            ]).ToList()));
        return new ReportDocument($"Report: {results.Sweep.Name}", blocks);
    }

    private static ReportTable ResultsTable(IReadOnlyList<Arm> arms, IReadOnlyList<string> tasks, IReadOnlyList<string> axes)
    {
        var paper = axes.SequenceEqual(["objective"]);
        var header = new List<string> { "arm", "train FLOPs" };
        header.AddRange(tasks.Select(SweepArms.TaskName));
        header.Add($"score ({ScoreLabel(tasks)})");
        if (paper) header.Add("paper GLUE (Base, Table 5)");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var arm in arms)
        {
            var final = arm.Final;
            var row = new List<string> { arm.Label, final is null ? "–" : Findings.Flops(final.TrainFlops) };
            foreach (var task in tasks)
            {
                row.Add(final is not null && final.Runs.TryGetValue(task, out var runs)
                    ? Cell(Bootstrap.MeanOfMedians([runs.Select(v => 100 * v).ToList()], $"{arm.Key}|{task}|{final.Step}"))
                    : "–");
            }
            row.Add(final is null ? "–" : Score(arm, final) is { } s ? Cell(s) : "–");
            if (paper)
            {
                row.Add(Findings.PaperGlueByObjective.TryGetValue(arm.Values["objective"].Trim('"'), out var published) && !arm.IsBaseline
                    ? published.ToString("0.0", CultureInfo.InvariantCulture) : "–");
            }
            rows.Add(row);
        }
        // What a constant prediction of the most frequent dev label scores: the floor every row should clear.
        var majority = new List<string> { "majority class (dev)", "–" };
        majority.AddRange(tasks.Select(t => Findings.MajorityClass.TryGetValue(t, out var m) ? m.ToString("0.0", CultureInfo.InvariantCulture) : "–"));
        majority.Add(tasks.Count > 0 && tasks.All(Findings.MajorityClass.ContainsKey)
            ? tasks.Average(t => Findings.MajorityClass[t]).ToString("0.0", CultureInfo.InvariantCulture) : "–");
        if (paper) majority.Add("–");
        rows.Add(majority);
        return new ReportTable(header, rows);
    }

    private static ReportTable CurveTable(IReadOnlyList<Arm> arms) =>
        new(["arm", "step", "train FLOPs", "score"], arms.SelectMany(a => a.Points.Select(p => (IReadOnlyList<string>)
        [
            a.Label, p.Step.ToString(CultureInfo.InvariantCulture), Findings.Flops(p.TrainFlops), Score(a, p) is { } s ? Cell(s) : "–",
        ])).ToList());

    /// <summary>The mean of the task medians at a point, with its interval; null before any task was evaluated there.</summary>
    private static Estimate? Score(Arm arm, ArmPoint point) =>
        point.Runs.Count == 0 ? null
            : Bootstrap.MeanOfMedians(point.Runs.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (IReadOnlyList<double>)r.Value.Select(v => 100 * v).ToList()).ToList(),
                $"{arm.Key}|score|{point.Step}");

    private static string Cell(Estimate e) => Invariant($"{e.Value:0.0} [{e.Low:0.0}, {e.High:0.0}] n={e.Runs}");

    private static string ScoreLabel(IReadOnlyList<string> tasks)
    {
        var glue = tasks.Where(t => Benchmarks.For(Benchmarks.Glue).Any(c => c.Task == t)).ToList();
        return glue.Count == tasks.Count && glue.Count > 0 ? Benchmarks.TaskSetLabel(Benchmarks.Glue, glue) : string.Join(", ", tasks.Select(SweepArms.TaskName));
    }


    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
