// The transformer stack: post-LN layers of attention then a GELU feed-forward (HF ElectraLayer/ElectraEncoder).
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Modeling;

/// <summary>H -> intermediate_size with the activation (HF ElectraIntermediate).</summary>
public sealed class ElectraIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string _activation;

    public ElectraIntermediate(ElectraConfig config) : base(nameof(ElectraIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var projected = MixedPrecision.Linear(dense, x);
        return Activations.Apply(_activation, projected);
    }
}

public sealed class ElectraLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ElectraAttention attention;
    private readonly ElectraIntermediate intermediate;
    private readonly ElectraResidualOutput output;

    public ElectraLayer(ElectraConfig config) : base(nameof(ElectraLayer))
    {
        attention = new ElectraAttention(config);
        intermediate = new ElectraIntermediate(config);
        output = new ElectraResidualOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? keyMask)
    {
        using var attended = attention.forward(hidden, keyMask);
        using var inner = intermediate.forward(attended);
        return output.forward(inner, attended);
    }
}

public sealed class ElectraEncoder : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<ElectraLayer> layer;

    public ElectraEncoder(ElectraConfig config) : base(nameof(ElectraEncoder))
    {
        layer = new ModuleList<ElectraLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new ElectraLayer(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? keyMask) => Forward(hidden, keyMask, null);

    /// <summary>Runs every layer; when <paramref name="states"/> is given, appends each layer's output to it.</summary>
    public Tensor Forward(Tensor hidden, Tensor? keyMask, List<Tensor>? states)
    {
        var current = hidden;
        foreach (var block in layer)
        {
            var next = block.forward(current, keyMask);
            if (states is not null) states.Add(next);
            else if (!ReferenceEquals(current, hidden)) current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, hidden) ? hidden.alias() : current;
    }
}
