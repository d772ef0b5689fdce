// The libtorch side of a fine-tuning config's precision: the config core names it, Electra turns it into a dtype.
using ElectraLab.Config.Finetuning;
using static TorchSharp.torch;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Electra.Finetuning;

public static class FinetuningPrecision
{
    extension(FinetuningConfig config)
    {
        /// <summary>bf16 for bf16-mixed (fp32 master weights, moments, norms and losses), null for fp32.</summary>
        public ScalarType? ComputeDType => config.Precision == "bf16-mixed" ? ScalarType.BFloat16 : null;
    }
}
