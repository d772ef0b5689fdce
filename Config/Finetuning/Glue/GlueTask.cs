// One GLUE evaluation task: where its files are in the standard GLUE folder (as download_glue_data.py lays
// it out), how each split's columns are read (the official ELECTRA/BERT processors), its label set, and the
// metrics GLUE reports for it. MNLI is two evaluation tasks (MNLI-m, MNLI-mm) that share one training file.
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Config.Finetuning.Glue;

public sealed record GlueTask(
    string Name,
    string Folder,
    string TrainFile,
    string DevFile,
    string TestFile,
    GlueColumns TrainDevColumns,
    GlueColumns TestColumns,
    IReadOnlyList<string> Labels,
    IReadOnlyList<GlueMetric> Metrics)
{
    /// <summary>STS-B: a score in [0, 5] instead of a class; Labels is empty.</summary>
    public bool IsRegression => Labels.Count == 0;

    /// <summary>Classifier outputs: the number of labels, or 1 for regression.</summary>
    public int NumLabels => IsRegression ? 1 : Labels.Count;

    /// <summary>MRPC and STS-B are symmetric pairs; the official recipe trains on both orders (double_unordered).</summary>
    public bool TrainOnBothOrders => Name is "MRPC" or "STS-B";

    public int LabelId(string label)
    {
        for (var i = 0; i < Labels.Count; i++)
            if (Labels[i] == label) return i;
        throw new InvalidDataException($"{Name}: label '{label}' is not one of {string.Join(", ", Labels)}");
    }

    public string FilePath(string glueDirectory, GlueSplit split) => Path.Combine(glueDirectory, Folder, split switch
    {
        GlueSplit.Train => TrainFile,
        GlueSplit.Dev => DevFile,
        GlueSplit.Test => TestFile,
        _ => throw new ArgumentOutOfRangeException(nameof(split)),
    });

    public GlueColumns Columns(GlueSplit split) => split == GlueSplit.Test ? TestColumns : TrainDevColumns;
}

public enum GlueSplit
{
    Train,
    Dev,
    Test,
}
