// libtorch allocates every tensor with the C library's malloc, and a training step frees and allocates the same
// few hundred megabytes again each step. glibc's defaults hand freed memory back to the kernel (trimming the top of
// the heap above 128 KiB, and giving blocks from its adaptive mmap threshold upwards their own mappings), so the next
// step faults every page in again and the kernel zeroes it: measured on the 2-core EPYC, 25-35 ms of each 0.5 s
// bf16 ELECTRA-Small step in clear_page and the fault path, against 3-10 ms with the settings below. Keeping freed
// memory in the process costs at most the step's peak, which training reaches anyway.
using System.Runtime.InteropServices;

namespace ElectraLab.Electra;

public static class NativeHeap
{
    // glibc's <malloc.h> parameter numbers.
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_THRESHOLD = -3;

    private const int TrimThreshold = 1 << 30;  // give memory back only when a whole GiB is free at the top
    private const int TopPad = 64 << 20;        // grow the heap 64 MiB at a time
    private const int MmapThreshold = 32 << 20; // glibc's maximum on 64-bit: only larger blocks get their own mapping

    private static readonly Lazy<bool> Applied = new(Apply);

    // The soname: "libc" alone would probe libc.so, which on Debian is libc6-dev's linker script, not a library.
    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    /// <summary>
    /// Tells glibc's malloc to keep freed memory for reuse (process-wide, once). True when applied; false on other
    /// C libraries (musl has no mallopt) and operating systems, where it changes nothing.
    /// </summary>
    public static bool RetainFreedMemory() => Applied.Value;

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // mallopt returns 1 on success; a fixed mmap threshold also turns off glibc's adaptive one.
            return Mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1
                & Mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1
                & Mallopt(M_TOP_PAD, TopPad) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
