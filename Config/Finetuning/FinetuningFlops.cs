// FLOPs of one sequence-classification step, counted exactly as the PyTorch reference benchmark counts them
// (../shared/tools/pytorch-baseline/bench_pytorch_finetune.py, `flops`), so that achieved-FLOP/s figures of
// `electralab bench finetune` and of PyTorch + Hugging Face compare one to one: 2 FLOPs per multiply-add, training
// = 3 × forward; every encoder matmul weight (per layer 4·H² for query/key/value/output and 2·H·I for the
// feed-forward, plus E·H for embeddings_project, counted even when E = H as the script does) times the tokens,
// the head's weights (H·H + H·labels) times the rows, and 2 × layers · T² · H per row for the two attention
// matmuls. Embeddings, biases, norms, softmax, GELU, the loss and the optimizer are not counted. This is not the
// official flops_computation.py count (FlopCounter), which adds those constants for pre-training's Table 1.
using ElectraLab.Config.Modeling;

namespace ElectraLab.Config.Finetuning;

public sealed record FinetuningFlops(double MatmulFlops, double AttentionFlops)
{
    public double Total => MatmulFlops + AttentionFlops;

    /// <param name="train">true: forward + backward (3 × forward); false: inference (forward only)</param>
    public static FinetuningFlops Of(ElectraConfig model, int numLabels, long batch, long seq, bool train)
    {
        double e = model.EmbeddingSize, h = model.HiddenSize, i = model.IntermediateSize, layers = model.NumHiddenLayers;
        double encoderWeights = layers * (4 * h * h + 2 * h * i) + e * h;
        double headWeights = h * h + h * numLabels;
        double perMac = train ? 6 : 2;
        double matmul = perMac * encoderWeights * batch * seq + perMac * headWeights * batch;
        double attention = (train ? 12 : 4) * layers * seq * seq * h * batch;
        return new FinetuningFlops(matmul, attention);
    }
}
