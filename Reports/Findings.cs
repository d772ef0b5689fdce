using System.Globalization;

namespace ElectraLab.Reports;

/// <summary>One claim of the paper tested on a sweep: "holds", "does not hold" or "not decided", and the intervals that say so.</summary>
public sealed record Finding(string Claim, string Verdict, string Evidence)
{
    public const string Holds = "holds";
    public const string DoesNotHold = "does not hold";
    public const string NotDecided = "not decided";

    public string Sentence => $"{Claim}: {Verdict} ({Evidence}).";
}

/// <summary>
/// The paper's findings a sweep can test, decided by the bootstrap interval of the score difference between arms (the
/// mean over the tasks both have of each task's median, ×100): above zero holds, below zero does not hold, across
/// zero is not decided. Tests only what the sweep's design can answer: objectives against each other when the
/// objective is the only axis, generator sizes when the generator size is, every arm against an arm that was not
/// pre-trained when the sweep has one.
/// </summary>
public static class Findings
{
    /// <summary>GLUE dev of Base-size models trained with each objective (Paper Table 5).</summary>
    public static readonly IReadOnlyDictionary<string, double> PaperGlueByObjective = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["electra"] = 85.0, ["all-tokens-mlm"] = 84.3, ["replace-mlm"] = 82.4, ["electra-15"] = 82.4, ["mlm"] = 82.2,
    };

    /// <summary>
    /// What always predicting the most frequent dev label scores (×100), from the label counts of GLUE's dev files
    /// (../shared/data/glue): a model that does not beat it has learned nothing the task rewards. CoLA's MCC and
    /// STS-B's Spearman correlation of a constant prediction are 0.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> MajorityClass = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["cola"] = 0, ["sst2"] = 100.0 * 444 / 872, ["mrpc"] = 100.0 * 279 / 408, ["stsb"] = 0, ["qnli"] = 100.0 * 2761 / 5463,
        ["rte"] = 100.0 * 146 / 277,
    };

    /// <summary>The orderings of Table 5 worth testing (ties in the paper are not).</summary>
    private static readonly (string Better, string Worse)[] ObjectiveOrder =
    [
        ("electra", "mlm"), ("electra", "all-tokens-mlm"), ("all-tokens-mlm", "replace-mlm"), ("electra", "electra-15"),
        ("replace-mlm", "mlm"), ("electra-15", "mlm"),
    ];

    public static IReadOnlyList<Finding> Test(IReadOnlyList<Arm> arms, IReadOnlyList<string> axes)
    {
        var findings = new List<Finding>();
        var trained = arms.Where(a => !a.IsBaseline && a.Final is not null).ToList();
        if (axes.SequenceEqual(["objective"]))
        {
            var byObjective = trained.ToDictionary(a => a.Values["objective"].Trim('"'), StringComparer.Ordinal);
            foreach (var (better, worse) in ObjectiveOrder)
            {
                if (!byObjective.TryGetValue(better, out var a) || !byObjective.TryGetValue(worse, out var b)) continue;
                var paper = string.Create(CultureInfo.InvariantCulture, $"paper {PaperGlueByObjective[better]:0.0} vs {PaperGlueByObjective[worse]:0.0}");
                findings.Add(Compare($"{a.Label} > {b.Label} at the end of pre-training ({paper})", a.Final!, b.Final!, a, b));
                if (better == "electra" && worse == "mlm" && Math.Min(a.Points.Count, b.Points.Count) > 1)
                    findings.Add(EveryBudget(a, b));
            }
        }
        if (axes.SequenceEqual(["generator_hidden_size"]) && trained.Count > 1) findings.Add(GeneratorSize(trained));
        foreach (var arm in arms.Where(a => a.Final is not null)) findings.Add(AboveMajority(arm));
        foreach (var baseline in arms.Where(a => a.IsBaseline && a.Final is not null))
        {
            foreach (var arm in trained)
                findings.Add(Compare($"{arm.Label} beats no pre-training", arm.Final!, baseline.Final!, arm, baseline));
        }
        return findings;
    }

    /// <summary>The score difference a − b at two points, over the tasks both have; null when they share none.</summary>
    public static Estimate? Difference(ArmPoint a, ArmPoint b, string label)
    {
        var tasks = a.Runs.Keys.Intersect(b.Runs.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (tasks.Count == 0) return null;
        return Bootstrap.Difference(tasks.Select(t => Scaled(a.Runs[t])).ToList(), tasks.Select(t => Scaled(b.Runs[t])).ToList(), label);
    }

    private static IReadOnlyList<double> Scaled(IReadOnlyList<double> runs) => runs.Select(v => 100 * v).ToList();

    private static Finding Compare(string claim, ArmPoint a, ArmPoint b, Arm armA, Arm armB)
    {
        var difference = Difference(a, b, $"{armA.Key}|{armB.Key}|{a.Step}|{b.Step}");
        if (difference is not { } d) return new Finding(claim, Finding.NotDecided, "no task evaluated on both");
        return new Finding(claim, Verdict(d.Sign), $"difference {Interval(d)} points");
    }

    /// <summary>Two evaluations compare at one budget when their train FLOPs are within this fraction of each other.</summary>
    public const double EqualComputeTolerance = 0.1;

    /// <summary>
    /// Each of ELECTRA's evaluations against MLM's evaluation nearest in train FLOPs. A budget where the two are more than
    /// <see cref="EqualComputeTolerance"/> apart cannot show the claim (that would compare unequal compute), so it is
    /// not decided unless ELECTRA loses there.
    /// </summary>
    /// <summary>Every task's median interval lies above what the majority class scores on it.</summary>
    private static Finding AboveMajority(Arm arm)
    {
        var tasks = arm.Final!.Runs.Keys.Where(MajorityClass.ContainsKey).Order(StringComparer.Ordinal).ToList();
        var claim = $"{arm.Label} beats the majority class on every task";
        if (tasks.Count == 0) return new Finding(claim, Finding.NotDecided, "no task with a known majority-class score");
        var cells = tasks.Select(t => (Task: t, Estimate: Bootstrap.MeanOfMedians([Scaled(arm.Final.Runs[t])], $"{arm.Key}|{t}|{arm.Final.Step}"))).ToList();
        // A run that predicts the majority label everywhere scores it up to rounding (68.38235294117647 vs …46): equal.
        const double same = 1e-6;
        var signs = cells.Select(c => c.Estimate.Low > MajorityClass[c.Task] + same ? 1 : c.Estimate.High <= MajorityClass[c.Task] + same ? -1 : 0).ToList();
        var verdict = signs.All(s => s > 0) ? Finding.Holds : signs.Any(s => s < 0) ? Finding.DoesNotHold : Finding.NotDecided;
        return new Finding(claim, verdict, string.Join("; ", cells.Select(c => string.Create(CultureInfo.InvariantCulture,
            $"{SweepArms.TaskName(c.Task)} {c.Estimate.Value:0.0} [{c.Estimate.Low:0.0}, {c.Estimate.High:0.0}] vs {MajorityClass[c.Task]:0.0}"))));
    }

    private static Finding EveryBudget(Arm electra, Arm mlm)
    {
        var verdicts = new List<int>();
        var evidence = new List<string>();
        for (var k = 0; k < electra.Points.Count; k++)
        {
            var a = electra.Points[k];
            var b = mlm.Points.MinBy(p => Math.Abs(p.TrainFlops - a.TrainFlops))!;
            if (Difference(a, b, $"{electra.Key}|{mlm.Key}|budget{k}") is not { } d) continue;
            var equal = Math.Abs(a.TrainFlops - b.TrainFlops) <= EqualComputeTolerance * Math.Max(a.TrainFlops, b.TrainFlops);
            verdicts.Add(equal || d.Sign < 0 ? d.Sign : 0);
            evidence.Add($"{Flops(a.TrainFlops)} vs {Flops(b.TrainFlops)} FLOPs{(equal ? "" : " (unequal compute)")}: {Interval(d)}");
        }
        var verdict = verdicts.Count > 0 && verdicts.All(v => v > 0) ? Finding.Holds
            : verdicts.Any(v => v < 0) ? Finding.DoesNotHold : Finding.NotDecided;
        return new Finding($"{electra.Label} > {mlm.Label} at every FLOP budget (paper Figure 1)", verdict,
            evidence.Count > 0 ? string.Join("; ", evidence) : "no budget with a task evaluated on both");
    }

    private static Finding GeneratorSize(IReadOnlyList<Arm> arms)
    {
        const string claim = "Generators 1/4 to 1/2 the discriminator's size work best (paper §3.2, Figure 3 left)";
        static double Size(Arm a) => double.Parse(a.Values["generator_hidden_size"], CultureInfo.InvariantCulture);
        static bool InRange(Arm a) => Size(a) is >= 0.25 and <= 0.5;
        double Score(Arm a) => Bootstrap.MeanOfMedians(a.Final!.Runs.Values.Select(Scaled).ToList(), a.Key).Value;
        var best = arms.MaxBy(Score)!;
        var inRange = arms.Where(InRange).ToList();
        var outside = arms.Where(a => !InRange(a)).ToList();
        if (inRange.Count == 0 || outside.Count == 0) return new Finding(claim, Finding.NotDecided, "the sweep needs sizes inside and outside 1/4–1/2");
        if (InRange(best))
        {
            var margins = outside.Select(o => (o, d: Difference(best.Final!, o.Final!, $"{best.Key}|{o.Key}"))).ToList();
            var verdict = margins.All(m => m.d is { Sign: > 0 }) ? Finding.Holds : Finding.NotDecided;
            return new Finding(claim, verdict, $"best: {best.Label}; " +
                string.Join("; ", margins.Select(m => $"vs {m.o.Label}: {(m.d is { } d ? Interval(d) : "–")}")));
        }
        var bestInRange = inRange.MaxBy(Score)!;
        var difference = Difference(best.Final!, bestInRange.Final!, $"{best.Key}|{bestInRange.Key}");
        return new Finding(claim, difference is { Sign: > 0 } ? Finding.DoesNotHold : Finding.NotDecided,
            $"best: {best.Label}, ahead of {bestInRange.Label} by {(difference is { } d2 ? Interval(d2) : "–")}");
    }

    private static string Verdict(int sign) => sign > 0 ? Finding.Holds : sign < 0 ? Finding.DoesNotHold : Finding.NotDecided;

    public static string Interval(Estimate e) => string.Create(CultureInfo.InvariantCulture, $"{e.Value:+0.0;-0.0;0.0} [{e.Low:0.0}, {e.High:0.0}]");

    public static string Flops(double flops) => flops.ToString("0.0e0", CultureInfo.InvariantCulture);
}
