// Weight initialisation for models trained from scratch (E-model L405-407): truncated normal with std
// initializer_range cut at two standard deviations (TF's truncated_normal), zero biases, LayerNorm 1/0.
// The discriminator head keeps TF's default Glorot-uniform (§6.3: "output heads use Glorot init").
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Modeling;

public static class ElectraInit
{
    public static void TruncatedNormal(nn.Module module, double std, int? paddingIdx = null)
    {
        using var _ = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            switch (child)
            {
                case Linear linear:
                    nn.init.trunc_normal_(linear.weight, 0, std, -2 * std, 2 * std);
                    if (linear.bias is { } bias) nn.init.zeros_(bias);
                    break;
                case Embedding embedding:
                    nn.init.trunc_normal_(embedding.weight, 0, std, -2 * std, 2 * std);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }

    public static void Glorot(Linear linear)
    {
        using var _ = no_grad();
        nn.init.xavier_uniform_(linear.weight);
        if (linear.bias is { } bias) nn.init.zeros_(bias);
    }
}
