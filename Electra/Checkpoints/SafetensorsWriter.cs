// Writes the safetensors format. The header is computed from shapes and dtypes first, then each tensor is
// streamed to disk on its own (moved to the CPU one at a time), into a temporary file that is renamed into
// place at the end, so a crash never leaves a truncated file under the final name.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Checkpoints;

public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        // Sorted by name: the same model always gives the same bytes.
        var items = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var duplicates = items.GroupBy(t => t.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicates is not null) throw new ArgumentException($"tensor '{duplicates.Key}' given twice");

        var header = BuildHeader(items, metadata);
        var tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in items)
            {
                if (tensor.NumberOfElements > 0) WriteData(stream, tensor);
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// One tensor's bytes (row-major, little-endian) from a CPU copy or alias of it. Each intermediate is a local that is
    /// disposed here, never a temporary: TorchSharp hands a wrapper's handle to native code without keeping the wrapper
    /// alive, so an unreferenced result (the detach() in <c>tensor.detach().cpu()</c>) can be finalized, and its native
    /// tensor freed, on the finalizer thread while the next call still reads it. That was issue 15's segfault.
    /// </summary>
    private static void WriteData(Stream stream, Tensor tensor)
    {
        using var detached = tensor.detach();
        using var cpu = detached.cpu();
        using var contiguous = cpu.contiguous();
        // The span points into native memory that `contiguous` owns; the using keeps it alive until the write is done.
        long length = contiguous.NumberOfElements * contiguous.ElementSize;
        if (length <= int.MaxValue) stream.Write(contiguous.bytes);
        else contiguous.WriteBytesToStream(stream, 1 << 20);
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> items, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in items)
            {
                string dtype = SafetensorsDType.FromScalarType(tensor.dtype);
                long bytes = tensor.NumberOfElements * SafetensorsDType.ElementSize(dtype);
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces to a multiple of 8 so the data that follows is aligned, as the reference writer does.
        var text = buffer.ToArray();
        int padded = (text.Length + 7) / 8 * 8;
        var header = new byte[padded];
        text.CopyTo(header, 0);
        Encoding.ASCII.GetBytes(new string(' ', padded - text.Length)).CopyTo(header, text.Length);
        return header;
    }
}
