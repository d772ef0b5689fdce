// hidden_act as HF names it: "gelu" is the exact erf form (HF-act GELUActivation, E-model gelu);
// "gelu_new" is the tanh approximation.
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElectraLab.Electra.Modeling;

public static class Activations
{
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => F.gelu(x),
        "gelu_new" => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => F.relu(x),
        _ => throw new ArgumentException($"hidden_act '{name}' is not supported"),
    };
}
