using ElectraLab.Electra;
using ElectraLab.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace ElectraLab.Tests;

/// <summary>
/// Fails when libLibTorchSharp.so cannot load (PLATFORM.md: Debian 12's libstdc++ lacks GLIBCXX_3.4.32 unless the
/// build step marks that requirement weak).
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void TorchSharp_Initialises_AndMultipliesMatrices()
    {
        using var a = ones(64, 32);
        using var b = ones(32, 16);
        using var c = a.matmul(b);
        Assert.Equal(32f, c[3, 5].item<float>());
    }

    [Fact]
    public void TorchSharp_RunsAutograd()
    {
        using var x = tensor(new[] { 1f, 2f, 3f }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(new[] { 2f, 4f, 6f }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Devices_PickCpuWhenNoCudaIsPresent()
    {
        var device = TorchDevices.Default();
        Assert.Equal(cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, device.type);
    }
}
