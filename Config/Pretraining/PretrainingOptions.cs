// The switches of ElectraLab's pre-training beyond the official flags: which objective, how the generator and
// discriminator share weights, and joint vs two-stage training (Paper §3.2, §3.5; ELECTRA-REFERENCE §2.6).
namespace ElectraLab.Config.Pretraining;

public enum Objective
{
    /// <summary>Replaced-token detection: loss = gen_weight·MLM + disc_weight·Disc over all non-pad tokens.</summary>
    Electra,
    /// <summary>BERT baseline: a discriminator-size masked LM with the same 85/15 dynamic masking.</summary>
    Mlm,
    /// <summary>ELECTRA with the discriminator loss only on the masked positions (Paper §3.5).</summary>
    Electra15,
    /// <summary>A discriminator-size MLM whose masked positions hold generator samples instead of [MASK].</summary>
    ReplaceMlm,
    /// <summary>Replace MLM predicting every token's identity through a copy mechanism (Paper §3.5).</summary>
    AllTokensMlm,
}

public enum WeightSharing
{
    /// <summary>Token, position, type embeddings and the embedding LayerNorm are shared (the paper's choice).</summary>
    Embeddings,
    None,
    /// <summary>Generator and discriminator are one encoder (equal sizes only).</summary>
    All,
}

public enum TrainingAlgorithm
{
    Joint,
    /// <summary>Generator alone first, then the discriminator initialised from it with the generator frozen.</summary>
    TwoStage,
}

public enum Precision
{
    Fp32,
    Bf16Mixed,
}

public static class OptionNames
{
    public static string Of(Objective o) => o switch
    {
        Objective.Electra => "electra",
        Objective.Mlm => "mlm",
        Objective.Electra15 => "electra-15",
        Objective.ReplaceMlm => "replace-mlm",
        Objective.AllTokensMlm => "all-tokens-mlm",
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    public static string Of(WeightSharing s) => s switch
    {
        WeightSharing.Embeddings => "embeddings",
        WeightSharing.None => "none",
        WeightSharing.All => "all",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static string Of(TrainingAlgorithm a) => a == TrainingAlgorithm.Joint ? "joint" : "two-stage";
    public static string Of(Precision p) => p == Precision.Fp32 ? "fp32" : "bf16-mixed";

    public static Objective ParseObjective(string s) =>
        Enum.GetValues<Objective>().FirstOrDefault(o => Of(o) == s, (Objective)(-1)) is var o && o >= 0
            ? o : throw new ArgumentException($"config key 'objective': '{s}' is not one of electra, mlm, electra-15, replace-mlm, all-tokens-mlm");

    public static WeightSharing ParseSharing(string s) =>
        Enum.GetValues<WeightSharing>().FirstOrDefault(o => Of(o) == s, (WeightSharing)(-1)) is var o && o >= 0
            ? o : throw new ArgumentException($"config key 'weight_sharing': '{s}' is not one of embeddings, none, all");

    public static TrainingAlgorithm ParseAlgorithm(string s) => s switch
    {
        "joint" => TrainingAlgorithm.Joint,
        "two-stage" => TrainingAlgorithm.TwoStage,
        _ => throw new ArgumentException($"config key 'training_algorithm': '{s}' is not one of joint, two-stage"),
    };

    public static Precision ParsePrecision(string s) => s switch
    {
        "fp32" => Precision.Fp32,
        "bf16-mixed" => Precision.Bf16Mixed,
        _ => throw new ArgumentException($"config key 'precision': '{s}' is not one of auto, fp32, bf16-mixed"),
    };
}
