// What `inspect` prints: the config, parameter counts per component, and every tensor.
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Cli.Commands;

public static class ModelSummary
{
    /// <summary>Distinct parameters (a tied tensor counts once).</summary>
    public static long ParameterCount(nn.Module model) =>
        model.parameters().DistinctBy(p => TensorStorage.Address(p)).Sum(p => p.NumberOfElements);

    public static void Write(TextWriter output, ElectraConfig config, string architecture, SafetensorsReader weights)
    {
        output.WriteLine($"architecture          {architecture}");
        output.WriteLine($"vocab_size            {config.VocabSize}");
        output.WriteLine($"embedding_size        {config.EmbeddingSize}{(config.EmbeddingSize != config.HiddenSize ? $" (projected to {config.HiddenSize})" : "")}");
        output.WriteLine($"hidden_size           {config.HiddenSize}");
        output.WriteLine($"num_hidden_layers     {config.NumHiddenLayers}");
        output.WriteLine($"num_attention_heads   {config.NumAttentionHeads} (head size {config.HeadSize})");
        output.WriteLine($"intermediate_size     {config.IntermediateSize}");
        output.WriteLine($"hidden_act            {config.HiddenAct}");
        output.WriteLine($"max_position          {config.MaxPositionEmbeddings}");
        output.WriteLine();

        // Tied tensors (generator_lm_head.weight) are stored under two names; count the table once.
        var floats = weights.Entries.Values.Where(e => e.DType is "F32" or "F16" or "BF16" or "F64").ToList();
        var counted = floats.Where(e => !(e.Name == "generator_lm_head.weight" && weights.Entries.ContainsKey("electra.embeddings.word_embeddings.weight")));
        var groups = counted
            .GroupBy(e => Component(e.Name))
            .Select(g => (Component: g.Key, Count: g.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b))))
            .OrderBy(g => g.Component, StringComparer.Ordinal)
            .ToList();
        output.WriteLine("parameters");
        foreach (var (component, count) in groups) output.WriteLine($"  {component,-28} {count,14:N0}");
        output.WriteLine($"  {"total",-28} {groups.Sum(g => g.Count),14:N0}");
        output.WriteLine();

        output.WriteLine($"tensors ({weights.Entries.Count})");
        foreach (var entry in weights.Entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
            output.WriteLine($"  {entry.Name,-64} {entry.DType,-5} [{string.Join(", ", entry.Shape)}]");
    }

    private static string Component(string name)
    {
        var trimmed = name.StartsWith("electra.", StringComparison.Ordinal) ? name["electra.".Length..] : name;
        if (trimmed.StartsWith("embeddings", StringComparison.Ordinal)) return "embeddings";
        if (trimmed.StartsWith("encoder.", StringComparison.Ordinal)) return "encoder";
        return "head: " + trimmed.Split('.')[0];
    }
}
