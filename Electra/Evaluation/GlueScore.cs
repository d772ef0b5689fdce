// The GLUE score as the ELECTRA paper averages it (§3.1): one number per task, Matthews correlation for CoLA,
// Spearman for STS-B and accuracy for every other task (MRPC and QQP included, though GLUE's leaderboard also
// shows their F1), averaged over the eight tasks CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI and RTE. WNLI is
// left out, as in the paper's dev tables; MNLI means MNLI-m (the official code's dev set is dev_matched).
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Electra.Evaluation;

public static class GlueScore
{
    /// <summary>The tasks the paper's average covers, in the paper's column order.</summary>
    public static readonly IReadOnlyList<string> PaperTasks = ["CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI-m", "QNLI", "RTE"];

    /// <summary>The metric that stands for a task in the average.</summary>
    public static GlueMetric HeadlineMetric(string task) => task switch
    {
        "CoLA" => GlueMetric.MatthewsCorrelation,
        "STS-B" => GlueMetric.Spearman,
        _ => GlueMetric.Accuracy,
    };

    /// <summary>
    /// Mean of the headline metric over the paper's eight tasks, as a fraction. Every task must be present and
    /// defined: a partial or undefined average would not be comparable with the paper, so it is an error.
    /// </summary>
    public static double Average(IReadOnlyDictionary<string, IReadOnlyDictionary<GlueMetric, double?>> byTask)
    {
        var sum = 0.0;
        foreach (var task in PaperTasks)
        {
            if (!byTask.TryGetValue(task, out var metrics))
                throw new ArgumentException($"the GLUE score needs {task}; have {string.Join(", ", byTask.Keys)}");
            var metric = HeadlineMetric(task);
            if (!metrics.TryGetValue(metric, out var value) || value is not { } defined || double.IsNaN(defined))
                throw new ArgumentException($"{task}: {GlueMetrics.Key(metric)} is missing or undefined");
            sum += defined;
        }
        return sum / PaperTasks.Count;
    }
}
