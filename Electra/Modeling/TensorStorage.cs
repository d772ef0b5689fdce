// Which tensors share memory. TorchSharp hands out a new wrapper (and a new Handle) each time a module lists its
// parameters, so a tied weight (the generator's LM head is the word-embedding table) shows up under two handles;
// only the address of its storage tells that they are one tensor. The fused CPU optimizer reads parameters through
// the same addresses.
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Modeling;

public static class TensorStorage
{
    // TorchSharp's own binding for this is not public; the native library is already loaded by TorchSharp.
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSStorage_data_ptr(IntPtr tensor);

    /// <summary>The address of the tensor's storage (CPU or device memory); equal for tensors that share it.</summary>
    public static nint Address(Tensor tensor)
    {
        var address = THSStorage_data_ptr(tensor.Handle);
        // Passing the handle does not keep the wrapper alive: without this, a wrapper the caller no longer uses could be
        // finalized (its native tensor freed) while the call above reads it.
        GC.KeepAlive(tensor);
        return address;
    }

    /// <summary>The address of the tensor's first element (its storage plus its offset), for code that reads it raw.</summary>
    public static nint DataAddress(Tensor tensor) => Address(tensor) + (nint)(tensor.storage_offset() * tensor.element_size());

    /// <summary>Each distinct tensor once, under its first name.</summary>
    public static List<(string Name, T Parameter)> Distinct<T>(IEnumerable<(string Name, T Parameter)> named) where T : Tensor =>
        named.DistinctBy(p => (Address(p.Parameter), p.Parameter.storage_offset())).ToList();
}
