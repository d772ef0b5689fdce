namespace ElectraLab.Storage.Results;

/// <summary>One leaderboard column: the median over seeds of one task metric, and whether it counts in the score.</summary>
public sealed record BenchmarkColumn(string Benchmark, string Column, string Task, string Metric, bool InScore);

/// <summary>
/// How raw evaluation rows become leaderboard columns. GLUE follows the ELECTRA paper: Matthews correlation for CoLA,
/// Spearman correlation for STS-B, accuracy for the others (WNLI excluded); the GLUE score is their average.
/// SQuAD reports EM and F1; its score is F1.
/// </summary>
public static class Benchmarks
{
    public const string Glue = "glue";
    public const string Squad1 = "squad1";
    public const string Squad2 = "squad2";

    public static IReadOnlyList<BenchmarkColumn> Columns { get; } =
    [
        new(Glue, "cola", "cola", "mcc", true),
        new(Glue, "sst2", "sst2", "accuracy", true),
        new(Glue, "mrpc", "mrpc", "accuracy", true),
        new(Glue, "stsb", "stsb", "spearman", true),
        new(Glue, "qqp", "qqp", "accuracy", true),
        new(Glue, "mnli", "mnli", "accuracy", true),
        new(Glue, "qnli", "qnli", "accuracy", true),
        new(Glue, "rte", "rte", "accuracy", true),
        new(Squad1, "em", "squad1", "em", false),
        new(Squad1, "f1", "squad1", "f1", true),
        new(Squad2, "em", "squad2", "em", false),
        new(Squad2, "f1", "squad2", "f1", true),
    ];

    public static IEnumerable<BenchmarkColumn> For(string benchmark) => Columns.Where(c => c.Benchmark == benchmark);

    /// <summary>The score's columns of a benchmark, in the order the paper lists them.</summary>
    public static IReadOnlyList<string> ScoreColumns(string benchmark) => For(benchmark).Where(c => c.InScore).Select(c => c.Column).ToList();

    private static readonly Dictionary<string, string> TaskNames = new()
    {
        ["cola"] = "CoLA", ["sst2"] = "SST-2", ["mrpc"] = "MRPC", ["stsb"] = "STS-B", ["qqp"] = "QQP", ["mnli"] = "MNLI",
        ["qnli"] = "QNLI", ["rte"] = "RTE",
    };

    /// <summary>
    /// What a score over <paramref name="columns"/> is called: "GLUE" over every GLUE task (the paper's score),
    /// "GLUE-3: SST-2, MRPC, RTE" over some, "SQuAD 1.1" / "SQuAD 2.0" for SQuAD's F1; "" over none.
    /// </summary>
    public static string TaskSetLabel(string benchmark, IReadOnlyCollection<string> columns)
    {
        if (columns.Count == 0) return "";
        if (benchmark != Glue) return benchmark == Squad1 ? "SQuAD 1.1" : "SQuAD 2.0";
        var all = ScoreColumns(Glue);
        if (all.All(columns.Contains)) return "GLUE";
        var names = all.Where(columns.Contains).Select(c => TaskNames[c]);
        return $"GLUE-{columns.Count}: {string.Join(", ", names)}";
    }

    public static bool Exists(string benchmark) => Columns.Any(c => c.Benchmark == benchmark);
}
