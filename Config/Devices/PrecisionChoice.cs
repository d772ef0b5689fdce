// `precision`: fp32, bf16-mixed, or auto (the default), which picks bf16-mixed only where it measures faster and
// fp32 elsewhere. bf16-mixed wins on CUDA devices that multiply bf16, and on CPUs whose libtorch bf16 matmul runs on
// native bf16 instructions: AVX512-BF16 (2.2× the fp32 rate on the build machines' AMD EPYC, bench pretrain
// bf16-mixed 1.3-1.9× fp32) or AMX (2-4×). Elsewhere libtorch converts bf16 to fp32 around every multiply, and
// bf16-mixed was the slower mode (a Xeon VM without either: bf16 matmul at half the fp32 rate; docs/measurements.md).
// The choice and its reason are recorded with the run ("auto -> bf16-mixed (CPU has AVX512-BF16)").
namespace ElectraLab.Config.Devices;

public sealed record PrecisionChoice(string Requested, string Resolved, string Reason)
{
    public const string Auto = "auto", Fp32 = "fp32", Bf16Mixed = "bf16-mixed";

    public static readonly IReadOnlyList<string> Names = [Auto, Fp32, Bf16Mixed];

    /// <summary>Throws naming the key unless <paramref name="value"/> is auto, fp32 or bf16-mixed.</summary>
    public static string Validate(string value) => Names.Contains(value)
        ? value
        : throw new ArgumentException($"config key 'precision': '{value}' is not one of auto, fp32, bf16-mixed");

    /// <summary>
    /// The precision a run uses: an explicit fp32 or bf16-mixed as asked, auto by the features of where it runs.
    /// A pure function of its inputs (tests pin it without the hardware).
    /// </summary>
    public static PrecisionChoice Resolve(string requested, ComputeFeatures features)
    {
        Validate(requested);
        if (requested != Auto) return new PrecisionChoice(requested, requested, "set explicitly");
        if (features.Cuda)
            return features.CudaBf16
                ? new PrecisionChoice(Auto, Bf16Mixed, "CUDA device with bf16 matmuls")
                : new PrecisionChoice(Auto, Fp32, "CUDA device without bf16 matmuls");
        if (features.CpuAmxBf16) return new PrecisionChoice(Auto, Bf16Mixed, "CPU has AMX-BF16");
        if (features.CpuAvx512Bf16) return new PrecisionChoice(Auto, Bf16Mixed, "CPU has AVX512-BF16");
        return new PrecisionChoice(Auto, Fp32, "CPU has no AVX512-BF16/AMX");
    }

    /// <summary>"auto -> bf16-mixed (CPU has AVX512-BF16)", or just "fp32" when it was set explicitly.</summary>
    public string Description => Requested == Auto ? $"{Auto} -> {Resolved} ({Reason})" : Resolved;
}
