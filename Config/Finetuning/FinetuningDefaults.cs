// The defaults that depend on the task and the model size (ELECTRA-REFERENCE §1.3, E-ftcfg L136-151, Paper-T7).
using System.Text.Json.Nodes;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Config.Finetuning;

public static class FinetuningDefaults
{
    /// <summary>The preset a model's width matches: ≤ 256 small (also tiny research models), ≤ 768 base, else large.</summary>
    public static string SizeOf(ElectraConfig model) => model.HiddenSize <= 256 ? "small" : model.HiddenSize <= 768 ? "base" : "large";

    /// <summary>Paper Table 7: 3e-4 small, 1e-4 base, 5e-5 large.</summary>
    public static double LearningRate(string size) => size switch { "small" => 3e-4, "base" => 1e-4, _ => 5e-5 };

    /// <summary>0.8 for small and base, 0.9 for large.</summary>
    public static double LayerwiseLrDecay(string size) => size == "large" ? 0.9 : 0.8;

    /// <summary>10 for RTE and STS-B, 2 for SQuAD, 3 otherwise.</summary>
    public static double Epochs(FinetuningTask task) => task.IsSquad ? 2 : task.Name is "RTE" or "STS-B" ? 10 : 3;

    /// <summary>GLUE 128, SQuAD 512.</summary>
    public static int MaxSeqLength(FinetuningTask task) => task.IsSquad ? 512 : 128;

    /// <summary>The resolved defaults for one task and size, as config JSON.</summary>
    public static JsonObject For(FinetuningTask task, string size)
    {
        var config = new FinetuningConfig
        {
            ModelSize = size,
            LearningRate = LearningRate(size),
            LayerwiseLrDecay = LayerwiseLrDecay(size),
            NumTrainEpochs = Epochs(task),
            MaxSeqLength = MaxSeqLength(task),
        };
        return System.Text.Json.JsonSerializer.SerializeToNode(config)!.AsObject();
    }
}
