// Reads the safetensors format (8-byte little-endian header length, a JSON header of
// {name: {dtype, shape, data_offsets}} plus optional __metadata__, then the raw little-endian bytes).
// Tensors are read one at a time straight from the file into their destination, so loading a model never
// holds more than one tensor's bytes besides the model itself.
using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Checkpoints;

public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

public sealed class SafetensorsReader : IDisposable
{
    const long MaxHeaderBytes = 100L << 20;
    private readonly FileStream _stream;
    private readonly long _dataStart;

    public SafetensorsReader(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            _stream.ReadExactly(lengthBytes);
            long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > _stream.Length)
                throw new InvalidDataException($"{path}: not a safetensors file (header length {headerLength})");
            var header = new byte[headerLength];
            _stream.ReadExactly(header);
            _dataStart = 8 + headerLength;
            (Entries, Metadata) = ParseHeader(header, _stream.Length - _dataStart);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] header, long dataLength)
    {
        using var doc = JsonDocument.Parse(header);
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var e = property.Value;
            var dtype = e.GetProperty("dtype").GetString() ?? "";
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var offsets = e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new InvalidDataException($"{Path}: tensor '{property.Name}' has data offsets outside the file");
            long expected = shape.Aggregate(1L, (a, b) => a * b) * SafetensorsDType.ElementSize(dtype);
            if (expected != offsets[1] - offsets[0])
                throw new InvalidDataException($"{Path}: tensor '{property.Name}' has {offsets[1] - offsets[0]} bytes, its shape needs {expected}");
            entries[property.Name] = new SafetensorsEntry(property.Name, dtype, shape, offsets[0], offsets[1]);
        }
        return (entries, metadata);
    }

    /// <summary>Reads one tensor as stored (its own dtype), on the CPU.</summary>
    public Tensor Read(string name)
    {
        var entry = Entry(name);
        var tensor = empty(entry.Shape, SafetensorsDType.ToScalarType(entry.DType, name));
        try
        {
            _stream.Seek(_dataStart + entry.Begin, SeekOrigin.Begin);
            // Straight into the tensor's memory; `tensor` is returned below, so it outlives the span.
            if (entry.ByteLength > int.MaxValue) tensor.ReadBytesFromStream(_stream, 1 << 20);
            else if (entry.ByteLength > 0) _stream.ReadExactly(tensor.bytes);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor into <paramref name="destination"/>, converting dtype and device as needed.</summary>
    public void ReadInto(string name, Tensor destination)
    {
        var entry = Entry(name);
        if (!entry.Shape.SequenceEqual(destination.shape))
            throw new InvalidDataException(
                $"{Path}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the model expects [{string.Join(", ", destination.shape)}]");
        using var _ = no_grad();
        using var source = Read(name);
        destination.copy_(source);
    }

    private SafetensorsEntry Entry(string name) =>
        Entries.TryGetValue(name, out var entry) ? entry
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    public void Dispose() => _stream.Dispose();
}
