// The nine GLUE tasks. Column positions follow the official processors (ELECTRA's finetune/classification
// and BERT's run_classifier) on the files download_glue_data.py writes; see ELECTRA-REFERENCE §6.1.
// Label lists are sorted the way the official code lists them, and that order defines the label ids.
using ElectraLab.Config.Evaluation;

namespace ElectraLab.Config.Finetuning.Glue;

public static class GlueTasks
{
    private static readonly string[] Binary = ["0", "1"];
    private static readonly string[] Entailment = ["entailment", "not_entailment"];
    private static readonly string[] Nli = ["contradiction", "entailment", "neutral"];

    // CoLA train/dev have no header: source, label, original mark, sentence. Its test file has "index sentence".
    public static readonly GlueTask CoLA = new("CoLA", "CoLA", "train.tsv", "dev.tsv", "test.tsv",
        new GlueColumns(HasHeader: false, TextA: 3, TextB: null, Label: 1, Index: null),
        new GlueColumns(HasHeader: true, TextA: 1, TextB: null, Label: null, Index: 0),
        Binary, [GlueMetric.MatthewsCorrelation]);

    public static readonly GlueTask Sst2 = new("SST-2", "SST-2", "train.tsv", "dev.tsv", "test.tsv",
        new GlueColumns(true, 0, null, 1, null), new GlueColumns(true, 1, null, null, 0),
        Binary, [GlueMetric.Accuracy]);

    // "Quality #1 ID #2 ID #1 String #2 String"; the test file puts the index first instead of the label.
    public static readonly GlueTask Mrpc = new("MRPC", "MRPC", "train.tsv", "dev.tsv", "test.tsv",
        new GlueColumns(true, 3, 4, 0, null), new GlueColumns(true, 3, 4, null, 0),
        Binary, [GlueMetric.F1, GlueMetric.Accuracy]);

    // The official code reads the sentences and score from the end of the row (-3, -2, -1).
    public static readonly GlueTask StsB = new("STS-B", "STS-B", "train.tsv", "dev.tsv", "test.tsv",
        new GlueColumns(true, -3, -2, -1, 0), new GlueColumns(true, -2, -1, null, 0),
        [], [GlueMetric.Pearson, GlueMetric.Spearman]);

    // "id qid1 qid2 question1 question2 is_duplicate"; test is "id question1 question2".
    public static readonly GlueTask Qqp = new("QQP", "QQP", "train.tsv", "dev.tsv", "test.tsv",
        new GlueColumns(true, 3, 4, 5, 0), new GlueColumns(true, 1, 2, null, 0),
        Binary, [GlueMetric.F1, GlueMetric.Accuracy]);

    // 16 columns: sentence1 and sentence2 at 8 and 9, gold_label last. Test files have 10 columns.
    public static readonly GlueTask MnliMatched = new("MNLI-m", "MNLI", "train.tsv", "dev_matched.tsv", "test_matched.tsv",
        new GlueColumns(true, 8, 9, -1, 0), new GlueColumns(true, 8, 9, null, 0),
        Nli, [GlueMetric.Accuracy]);

    public static readonly GlueTask MnliMismatched = MnliMatched with
    {
        Name = "MNLI-mm", DevFile = "dev_mismatched.tsv", TestFile = "test_mismatched.tsv",
    };

    public static readonly GlueTask Qnli = new("QNLI", "QNLI", "train.tsv", "dev.tsv", "test.tsv",
        new GlueColumns(true, 1, 2, 3, 0), new GlueColumns(true, 1, 2, null, 0),
        Entailment, [GlueMetric.Accuracy]);

    public static readonly GlueTask Rte = Qnli with { Name = "RTE", Folder = "RTE" };

    public static readonly GlueTask Wnli = Qnli with { Name = "WNLI", Folder = "WNLI", Labels = Binary };

    public static readonly IReadOnlyList<GlueTask> All = [CoLA, Sst2, Mrpc, StsB, Qqp, MnliMatched, MnliMismatched, Qnli, Rte, Wnli];

    /// <summary>A task by its evaluation name (case-insensitive). "MNLI" means MNLI-m, whose dev set the official code uses.</summary>
    public static GlueTask Get(string name)
    {
        if (string.Equals(name, "MNLI", StringComparison.OrdinalIgnoreCase)) return MnliMatched;
        return All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown GLUE task '{name}' (expected one of {string.Join(", ", All.Select(t => t.Name))})");
    }
}
