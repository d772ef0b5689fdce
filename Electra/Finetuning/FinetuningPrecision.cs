// The libtorch side of a fine-tuning config's precision: the config core names it, Electra turns it into a dtype.
using ElectraLab.Config.Finetuning;
using static TorchSharp.torch;
using ElectraLab.Config.Devices;

namespace ElectraLab.Electra.Finetuning;

public static class FinetuningPrecision
{
    extension(FinetuningConfig config)
    {
        /// <summary>bf16 for bf16-mixed (fp32 master weights, moments, norms and losses), null for fp32.</summary>
        public ScalarType? ComputeDType => config.Precision switch
        {
            PrecisionChoice.Bf16Mixed => ScalarType.BFloat16,
            PrecisionChoice.Fp32 => null,
            // An unresolved auto here would train silently in fp32: a caller skipped PrecisionSelection.
            _ => throw new InvalidOperationException($"precision '{config.Precision}' is resolved on the run's device first (PrecisionSelection, WithPrecision)"),
        };
    }
}
