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
                    TruncatedNormal(linear.weight!, std);
                    if (linear.bias is { } bias) nn.init.zeros_(bias);
                    break;
                case Embedding embedding:
                    TruncatedNormal(embedding.weight!, std);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }

    /// <summary>Glorot for every linear of a head module.</summary>
    public static void GlorotHead(nn.Module head)
    {
        foreach (var (_, child) in head.named_modules())
            if (child is Linear linear) Glorot(linear);
    }

    /// <summary>
    /// N(0, std²) with every draw beyond two standard deviations redrawn, as tf.truncated_normal does.
    /// (TorchSharp 0.107's trunc_normal_ fills the tensor with a constant, so it is not used.)
    /// </summary>
    public static void TruncatedNormal(Tensor tensor, double std)
    {
        using var _ = no_grad();
        // Every intermediate (the bound included) is a local: TorchSharp does not keep a temporary alive across the
        // native call it is passed to, so the finalizer could free it mid-call. Construction runs outside any dispose scope.
        using var bound = (2 * std).ToScalar();
        tensor.normal_(0, std);
        for (int round = 0; round < 100; round++)
        {
            using var magnitude = tensor.abs();
            using var outside = magnitude.gt(bound);
            using var any = outside.any();
            if (!any.item<bool>()) return;
            using var redraw = empty_like(tensor);
            redraw.normal_(0, std);
            using var merged = where(outside, redraw, tensor);
            tensor.copy_(merged);
        }
    }

    public static void Glorot(Linear linear)
    {
        using var _ = no_grad();
        nn.init.xavier_uniform_(linear.weight);
        if (linear.bias is { } bias) nn.init.zeros_(bias);
    }
}
