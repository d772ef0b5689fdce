// The tasks `electralab finetune` accepts: the GLUE evaluation names (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI,
// RTE, WNLI) and SQuAD 1.1 / 2.0. MNLI trains once on MNLI/train.tsv and is scored on dev_matched (MNLI-m, the
// official code's dev set, ELECTRA-REFERENCE §6.1) and, when the file is there, on dev_mismatched (MNLI-mm).
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Config.Finetuning;

public sealed record FinetuningTask(string Name, GlueTask? Glue, bool SquadV2)
{
    public bool IsSquad => Glue is null;

    /// <summary>The extra evaluation set scored next to the main dev set (MNLI-mm for MNLI), or null.</summary>
    public GlueTask? ExtraGlueDev => Glue == GlueTasks.MnliMatched ? GlueTasks.MnliMismatched : null;

    public static readonly FinetuningTask Squad1 = new("squad1", null, SquadV2: false);
    public static readonly FinetuningTask Squad2 = new("squad2", null, SquadV2: true);

    /// <summary>Every name `Parse` accepts, for error messages and --help.</summary>
    public static readonly IReadOnlyList<string> Names = ["CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI", "QNLI", "RTE", "WNLI", "squad1", "squad2"];

    /// <summary>Case-insensitive. MNLI, MNLI-m and MNLI-mm all mean MNLI (both dev sets are scored); SQuAD1.1 = squad1, SQuAD2.0 = squad2.</summary>
    public static FinetuningTask Parse(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        if (key is "squad1" or "squad1.1" or "squad-1.1" or "squadv1" or "squadv1.1") return Squad1;
        if (key is "squad2" or "squad2.0" or "squad-2.0" or "squadv2" or "squadv2.0") return Squad2;
        if (key is "mnli" or "mnli-m" or "mnli-mm") return new FinetuningTask("MNLI", GlueTasks.MnliMatched, false);
        var glue = GlueTasks.All.FirstOrDefault(t => string.Equals(t.Name, key, StringComparison.OrdinalIgnoreCase));
        return glue is null
            ? throw new ArgumentException($"unknown task '{name}' (expected one of {string.Join(", ", Names)}; SQuAD1.1 and SQuAD2.0 also work)")
            : new FinetuningTask(glue.Name, glue, false);
    }
}
