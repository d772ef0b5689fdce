using System.Runtime.InteropServices;

namespace ElectraLab.Grains.Jobs.Workers;

/// <summary>
/// A real native crash on demand, for drills and tests of worker supervision (ElectraLab:Jobs:InjectSegfaultAtStep):
/// a write through a null pointer inside libc, which the kernel answers with SIGSEGV exactly as it did the segfault seen
/// in libtorch. (An outside `kill -SEGV` is no substitute: the .NET runtime's own SIGSEGV handler swallows a signal
/// that no faulting instruction raised, so the process would carry on.)
/// </summary>
internal static class NativeFault
{
    public static void Segfault()
    {
        Console.Error.WriteLine("injected fault: writing through a null pointer in native code");
        Console.Error.Flush();
        Memset(IntPtr.Zero, 0, 64);
    }

    [DllImport("libc.so.6", EntryPoint = "memset")]
    private static extern IntPtr Memset(IntPtr destination, int value, nuint count);
}
