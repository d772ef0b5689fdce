// The libtorch half of `precision: auto`: what the device a run lands on can do in bf16 (PrecisionChoice decides).
// TorchSharp 0.107 exposes no CUDA compute capability or is_bf16_supported, so a CUDA device is asked directly:
// one small bf16 matmul, which libtorch refuses on devices without bf16 support.
using System.Runtime.InteropServices;
using ElectraLab.Config.Devices;
using static TorchSharp.torch;

namespace ElectraLab.Electra;

public static class PrecisionSelection
{
    /// <summary>The precision a run on <paramref name="device"/> uses for <paramref name="requested"/> (auto, fp32, bf16-mixed).</summary>
    public static PrecisionChoice Resolve(string requested, Device device) =>
        PrecisionChoice.Resolve(requested, requested == PrecisionChoice.Auto ? Features(device) : ComputeFeatures.Cpu([]));

    public static ComputeFeatures Features(Device device) =>
        device.type == TorchSharp.DeviceType.CUDA
            ? ComputeFeatures.CudaDevice(CudaRunsBf16(device))
            : ComputeFeatures.Cpu(ComputeFeatures.ThisCpuFlags());

    private static bool CudaRunsBf16(Device device)
    {
        try
        {
            using var scope = NewDisposeScope();
            var a = ones(8, 8, dtype: ScalarType.BFloat16, device: device);
            a.matmul(a).sum().to_type(ScalarType.Float32).item<float>();
            return true;
        }
        catch (Exception e) when (e is ExternalException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}
