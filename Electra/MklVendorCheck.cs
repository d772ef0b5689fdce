// libtorch's CPU build links Intel's oneMKL statically, and oneMKL picks its matmul kernels by CPU vendor before it
// looks at CPU features: on a non-Intel CPU it takes a generic branch whatever the CPU supports. Measured on the
// 2-core AMD EPYC build machine (AVX-512, AVX512-BF16): the fp32 1024³ matmul ran at 205-218 GFLOP/s on that branch
// and at 470-485 GFLOP/s once oneMKL was told the CPU is Intel's, and the ELECTRA-Small fp32 pre-training step went
// from 1,860-2,001 to 3,315-3,432 tokens/s. oneMKL asks one function, mkl_serv_intel_cpu_true, which libtorch_cpu.so
// exports and calls through its PLT, so a global definition loaded before its first call answers instead; from then
// on oneMKL chooses by the CPUID feature bits alone, as it does on Intel CPUs, so it never runs an instruction the
// CPU lacks. bf16 matmuls go through oneDNN, which already dispatches by features, and are unchanged.
//
// The definition lives in a tiny shared object written here (MklVendorCheckLibrary) rather than compiled with a C
// toolchain, so that a machine with only the .NET runtime gets it too. ELECTRALAB_MKL_VENDOR_CHECK=keep leaves
// oneMKL as shipped (for before/after measurements).
using System.Runtime.InteropServices;

namespace ElectraLab.Electra;

public static class MklVendorCheck
{
    public const string EnvironmentVariable = "ELECTRALAB_MKL_VENDOR_CHECK";

    private const int RTLD_NOW = 0x2;
    private const int RTLD_GLOBAL = 0x100;

    private static readonly Lazy<string> Outcome = new(Apply);

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen(string path, int flags);

    [DllImport("libc.so.6", EntryPoint = "dlerror")]
    private static extern IntPtr DlError();

    /// <summary>
    /// Makes oneMKL choose its kernels by CPU features on non-Intel x86-64 Linux CPUs (process-wide, once; it must run
    /// before the process's first matmul to take effect). Returns one line saying what was done and why.
    /// </summary>
    public static string UseFeatureDispatch() => Outcome.Value;

    /// <summary>
    /// The kernel branch oneMKL chose in this process (its mkl_serv_cpu_detect: 0 is the generic branch it gives
    /// non-Intel CPUs as shipped; higher numbers are wider instruction sets), or null where libtorch_cpu.so is not
    /// loaded or does not export it. Asking makes oneMKL decide, so call it after UseFeatureDispatch.
    /// </summary>
    public static int? KernelBranch()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            string? library = File.ReadLines("/proc/self/maps").Select(l => l[(l.IndexOf('/') is var i and >= 0 ? i : l.Length)..])
                .FirstOrDefault(p => p.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
            if (library is null || !NativeLibrary.TryLoad(library, out var handle)) return null;
            if (!NativeLibrary.TryGetExport(handle, "mkl_serv_cpu_detect", out var detect)) return null;
            return Marshal.GetDelegateForFunctionPointer<IntFunction>(detect)();
        }
        catch (IOException) { return null; }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntFunction();

    private static string Apply()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return "oneMKL as shipped (only x86-64 Linux is changed)";
        if (string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "keep", StringComparison.OrdinalIgnoreCase))
            return $"oneMKL as shipped ({EnvironmentVariable}=keep)";
        string vendor = CpuVendor();
        if (vendor == "GenuineIntel") return "oneMKL as shipped (an Intel CPU: its vendor check already passes)";
        try
        {
            string path = MklVendorCheckLibrary.Write();
            // RTLD_GLOBAL puts the definition in the scope libtorch_cpu.so's PLT resolves from; once mapped, the file
            // is not needed.
            bool loaded = DlOpen(path, RTLD_NOW | RTLD_GLOBAL) != IntPtr.Zero;
            string error = loaded ? "" : Marshal.PtrToStringAnsi(DlError()) ?? "";
            File.Delete(path);
            if (!loaded) return $"oneMKL as shipped (loading the vendor-check library failed: {error})";
            return $"oneMKL kernels chosen by CPU features (vendor {(vendor.Length > 0 ? vendor : "unknown")})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return $"oneMKL as shipped ({e.GetType().Name}: {e.Message})";
        }
    }

    private static string CpuVendor()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("vendor_id", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return "";
    }
}
