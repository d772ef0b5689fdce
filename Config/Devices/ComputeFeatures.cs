// What the machine a run lands on can do in bf16, as far as `precision: auto` cares: whether the run is on a CUDA
// device that multiplies bf16, and whether the CPU has native bf16 dot products (AVX512-BF16) or AMX tiles.
// Plain data, so the choice (PrecisionChoice.Resolve) is a pure function that tests pin without the hardware.
namespace ElectraLab.Config.Devices;

public sealed record ComputeFeatures(bool Cuda, bool CudaBf16, bool CpuAvx512Bf16, bool CpuAmxBf16)
{
    /// <summary>A CPU run with the given /proc/cpuinfo flags (e.g. "avx512_bf16", "amx_bf16").</summary>
    public static ComputeFeatures Cpu(IEnumerable<string> cpuFlags)
    {
        var flags = cpuFlags.ToHashSet(StringComparer.Ordinal);
        return new ComputeFeatures(false, false, flags.Contains("avx512_bf16"), flags.Contains("amx_bf16"));
    }

    /// <summary>A CUDA run; <paramref name="bf16"/> says whether the device ran a bf16 matmul.</summary>
    public static ComputeFeatures CudaDevice(bool bf16) => new(true, bf16, false, false);

    /// <summary>The flags of this machine's first CPU in /proc/cpuinfo; none where there is no such file (not Linux).</summary>
    public static IReadOnlyList<string> ThisCpuFlags(string cpuinfo = "/proc/cpuinfo")
    {
        try
        {
            foreach (var line in File.ReadLines(cpuinfo))
            {
                // x86: "flags\t\t: fpu vme ... avx512_bf16 ..."; other architectures name the line "Features".
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                if (key is "flags" or "Features")
                    return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return [];
    }
}
