using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using ElectraLab.Electra;

namespace ElectraLab.Tests.Devices;

/// <summary>
/// oneMKL inside libtorch chooses its matmul kernels by CPU features, not vendor: the hand-laid shared object loads
/// and answers, and a fresh process takes a wider kernel branch with it than without it on a non-Intel CPU.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MklVendorCheckTests
{
    private static bool LinuxX64 => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntFunction();

    [Fact]
    public void TheImage_LoadsWithTheSystemLoader_AndItsOneFunctionReturnsOne()
    {
        if (!LinuxX64) return; // an x86-64 ELF image: CI and the silos are x86-64 Linux
        string path = MklVendorCheckLibrary.Write();
        try
        {
            var handle = NativeLibrary.Load(path);
            var function = NativeLibrary.GetExport(handle, MklVendorCheckLibrary.Symbol);
            Assert.Equal(1, Marshal.GetDelegateForFunctionPointer<IntFunction>(function)());
            Assert.False(NativeLibrary.TryGetExport(handle, "mkl_serv_intel_cpu", out _)); // it exports nothing else
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AFreshProcess_TakesTheFeatureBranch_WhereTheVendorCheckWouldHaveHeldItBack()
    {
        if (!LinuxX64) return;
        var with = BenchInChild(keepVendorCheck: false);
        var without = BenchInChild(keepVendorCheck: true);
        int branchWith = (int)with["mkl_kernel_branch"]!, branchWithout = (int)without["mkl_kernel_branch"]!;
        Assert.Contains("ELECTRALAB_MKL_VENDOR_CHECK=keep", (string?)without["matmul_library"]);

        bool intel = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("vendor_id") && l.Contains("GenuineIntel"));
        if (intel)
        {
            Assert.Equal(branchWithout, branchWith); // nothing to change: the vendor check already passes
            return;
        }
        Assert.StartsWith("oneMKL kernels chosen by CPU features", (string?)with["matmul_library"]);
        // As shipped oneMKL gives a non-Intel CPU its generic branch (0); with the check answered, an AVX2 or AVX-512
        // CPU gets the branch its features allow.
        Assert.Equal(0, branchWithout);
        bool avx2 = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags") && l.Split(' ').Contains("avx2"));
        if (avx2) Assert.True(branchWith > branchWithout, $"branch {branchWith} with the check answered, {branchWithout} without");
    }

    [Fact]
    public void WhereTheLibraryCannotBeWritten_TheRunGoesOnWithOneMklAsShipped_AndSaysWhy()
    {
        if (!LinuxX64) return;
        bool intel = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("vendor_id") && l.Contains("GenuineIntel"));
        var result = BenchInChild(keepVendorCheck: false, temporaryDirectory: "/proc/self");
        string outcome = (string?)result["matmul_library"] ?? "";
        if (!intel) Assert.StartsWith("oneMKL as shipped (", outcome);
        Assert.True((double)result["tokens_per_second"]! > 0);
    }

    // One tiny timed step in a new process: oneMKL decides its branch once per process, at the first matmul, and the
    // test process has multiplied matrices long before this test runs.
    private static JsonObject BenchInChild(bool keepVendorCheck, string? temporaryDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "electralab.dll"), "bench", "pretrain", "--batch", "1", "--seq", "16",
                     "--steps", "1", "--threads", "1", "--precision", "fp32", "--device", "cpu", "--json" })
            info.ArgumentList.Add(arg);
        info.Environment[MklVendorCheck.EnvironmentVariable] = keepVendorCheck ? "keep" : "";
        if (temporaryDirectory is not null) info.Environment["TMPDIR"] = temporaryDirectory;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) process.Kill(entireProcessTree: true);
        Assert.True(process.ExitCode == 0, stderr.Result);
        return JsonNode.Parse(stdout.Result.Trim().Split('\n')[^1])!.AsObject();
    }
}
