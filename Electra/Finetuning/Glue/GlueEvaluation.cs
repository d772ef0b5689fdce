// Scores a set of predictions against a labelled GLUE split, with the task's GLUE metrics. This is the one
// place both `eval glue` and the fine-tuning loop get GLUE numbers from, so a table can never mix methods.
using System.Globalization;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Electra.Finetuning.Glue;

public static class GlueEvaluation
{
    /// <summary>
    /// Metrics of <paramref name="predictions"/> (label strings, or numbers for STS-B) against the gold labels
    /// of <paramref name="data"/>, in the task's metric order. Null means undefined (a constant STS-B prediction).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<GlueMetric, double?>> Score(GlueData data, IReadOnlyList<string> predictions)
    {
        var task = data.Task;
        var gold = data.Examples.Select(e => e.Label ?? throw new InvalidDataException($"{data.Path}: {e.Guid} has no label")).ToList();
        if (predictions.Count != gold.Count)
            throw new InvalidDataException($"{predictions.Count} predictions for {gold.Count} {task.Name} examples in {data.Path}");
        if (task.IsRegression)
        {
            var predicted = predictions.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v : throw new InvalidDataException($"prediction {i + 1} ('{p}') is not a number")).ToList();
            return GlueMetrics.Regression(task.Metrics, gold.Select(g => double.Parse(g, CultureInfo.InvariantCulture)).ToList(), predicted);
        }
        for (var i = 0; i < predictions.Count; i++)
            if (!task.Labels.Contains(predictions[i]))
                throw new InvalidDataException($"prediction {i + 1} ('{predictions[i]}') is not a {task.Name} label ({string.Join(", ", task.Labels)})");
        return GlueMetrics.Classification(task.Metrics, gold, predictions);
    }

    /// <summary>
    /// Scores a submission file against the dev split: one row per dev example, in order. A row's index is the
    /// example's index column (QQP's dev file has its pair `id` there) or its 0-based row number, as GLUE's own
    /// submission format numbers every task; the first row decides which numbering the file uses, and every row must
    /// then follow it. Any mismatch is an error naming the row.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<GlueMetric, double?>> ScoreSubmission(GlueData data, IReadOnlyList<GluePrediction> rows, string source)
    {
        if (rows.Count != data.Examples.Count)
            throw new InvalidDataException($"{source}: {rows.Count} predictions, but {data.Path} has {data.Examples.Count} {data.Task.Name} examples");
        bool byRowNumber = rows.Count > 0 && rows[0].Index != data.Examples[0].Index && rows[0].Index == RowNumber(0);
        for (var i = 0; i < rows.Count; i++)
        {
            var expected = byRowNumber ? RowNumber(i) : data.Examples[i].Index;
            if (rows[i].Index == expected) continue;
            var hint = byRowNumber ? ", as the file numbers its rows 0..N-1"
                : expected != RowNumber(i) ? ", the dev file's own index (or number every row 0..N-1)" : "";
            throw new InvalidDataException($"{source}: row {i + 1} has index '{rows[i].Index}', expected '{expected}'{hint} (rows must follow the dev file's order)");
        }
        return Score(data, rows.Select(r => r.Prediction).ToList());
    }

    private static string RowNumber(int i) => i.ToString(CultureInfo.InvariantCulture);
}
