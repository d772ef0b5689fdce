// Device choice at run time: CUDA when this build's libtorch can see a GPU, else the CPU. The backend package
// is a build switch (Directory.Build.props, TorchBackend); this is the run-time half of that choice.
using static TorchSharp.torch;

namespace ElectraLab.Electra;

public static class TorchDevices
{
    /// <summary>"cuda" when available, else "cpu"; <paramref name="requested"/> ("cpu", "cuda", "cuda:1", "auto") overrides.</summary>
    public static Device Default(string? requested = null)
    {
        if (string.IsNullOrEmpty(requested) || requested == "auto")
            return cuda.is_available() ? CUDA : CPU;
        if (requested.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw new ArgumentException($"device '{requested}' was requested but this libtorch sees no CUDA device");
        try { return new Device(requested); }
        catch (ArgumentException e) { throw new ArgumentException($"device '{requested}' is not one of auto, cpu, cuda, cuda:N", e); }
    }
}
