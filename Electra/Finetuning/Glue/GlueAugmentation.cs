// MRPC and STS-B are symmetric (paraphrase, similarity), so the official recipe doubles their training set with
// every pair also in the swapped order (`double_unordered`, ELECTRA-REFERENCE §6.1 and §6.3).
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning.Glue;

public static class GlueAugmentation
{
    /// <summary>
    /// The examples, then all of them again with the sentences swapped (the official code appends the swapped
    /// copies after the originals; training shuffles anyway). Only for training data; evaluation keeps one order.
    /// </summary>
    public static IReadOnlyList<GlueExample> BothOrders(IReadOnlyList<GlueExample> examples) =>
        [.. examples, .. examples.Select(e => e.Swapped())];

    /// <summary>The training examples the official recipe uses for this task: both orders for MRPC and STS-B.</summary>
    public static IReadOnlyList<GlueExample> ForTraining(GlueTask task, IReadOnlyList<GlueExample> examples) =>
        task.TrainOnBothOrders ? BothOrders(examples) : examples;
}
