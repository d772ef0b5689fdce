using System.Runtime.InteropServices;
using ElectraLab.Electra;

namespace ElectraLab.Tests;

/// <summary>The malloc settings that keep a training step's freed memory in the process reach glibc.</summary>
[Trait("Category", "Unit")]
public sealed class NativeHeapTests
{
    [Fact]
    public void OnGlibcLinux_TheSettingsApply_AndApplyingTwiceIsHarmless()
    {
        // CI and the silos run Debian (glibc); elsewhere the call is a documented no-op.
        bool glibc = OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl");
        Assert.Equal(glibc, NativeHeap.RetainFreedMemory());
        Assert.Equal(glibc, NativeHeap.RetainFreedMemory());
    }
}
