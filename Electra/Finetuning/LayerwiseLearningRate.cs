// Layer-wise learning-rate decay as the official code implements it (E-opt `_get_layer_lrs` L181-193,
// ELECTRA-REFERENCE §1.3): a parameter at depth d gets lr · decay^(n_layers + 2 - d), where d = 0 for the
// embeddings and embeddings_project, i + 1 for encoder layer i, and n_layers + 2 for the task head. The top
// encoder layer therefore gets lr · decay² rather than lr · decay: a left-over of the removed pooler that the
// maintainers kept (I#51, I#64), and that the published numbers were produced with, so it is kept here too.
// Names are Hugging Face state-dict names: "electra.embeddings.*", "electra.embeddings_project.*",
// "electra.encoder.layer.<i>.*", and the head outside "electra." (classifier.*, qa_outputs.*).
namespace ElectraLab.Electra.Finetuning;

public static class LayerwiseLearningRate
{
    private const string Backbone = "electra.";

    /// <summary>The official depth of a parameter; a backbone name the official key map has no entry for is an error (as in E-opt).</summary>
    public static int Depth(string name, int numLayers)
    {
        if (!name.StartsWith(Backbone, StringComparison.Ordinal)) return numLayers + 2;
        var rest = name[Backbone.Length..];
        if (rest.StartsWith("embeddings.", StringComparison.Ordinal) || rest.StartsWith("embeddings_project.", StringComparison.Ordinal)) return 0;
        const string layer = "encoder.layer.";
        if (rest.StartsWith(layer, StringComparison.Ordinal))
        {
            var end = rest.IndexOf('.', layer.Length);
            if (end > layer.Length && int.TryParse(rest.AsSpan(layer.Length, end - layer.Length), out var i) && i >= 0 && i < numLayers)
                return i + 1;
        }
        throw new ArgumentException($"parameter '{name}' has no layer-wise learning rate (expected embeddings, embeddings_project or encoder.layer.<0..{numLayers - 1}>)");
    }

    /// <summary>The multiplier of the peak learning rate for one parameter: decay^(n_layers + 2 - depth).</summary>
    public static double Scale(string name, int numLayers, double decay) => Math.Pow(decay, numLayers + 2 - Depth(name, numLayers));
}
