// Reads the safetensors format (8-byte little-endian header length, a JSON header of
// {name: {dtype, shape, data_offsets}} plus optional __metadata__, then the raw little-endian bytes).
// Tensors are read one at a time straight from the file into their destination, so loading a model never
// holds more than one tensor's bytes besides the model itself.
using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;
using ElectraLab.Config;

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
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a folder, expected a safetensors file", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            if (_stream.Length < 8) throw new InvalidDataException($"{path}: not a safetensors file ({_stream.Length} bytes, truncated?)");
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

    // The header is untrusted: JSON syntax, value types and sizes are all checked, each failure naming the file.
    private (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] header, long dataLength)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw JsonFiles.NotJson($"{Path} (header)", e); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{Path}: the header is not a JSON object");
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{Path}: __metadata__ is not a JSON object");
                foreach (var m in property.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                        : throw new InvalidDataException($"{Path}: __metadata__ '{m.Name}' is not a string");
                continue;
            }
            entries[property.Name] = ParseEntry(property.Name, property.Value, dataLength);
        }
        return (entries, metadata);
    }

    private SafetensorsEntry ParseEntry(string name, JsonElement e, long dataLength)
    {
        InvalidDataException Bad(string what) => new($"{Path}: tensor '{name}' {what}");
        JsonElement Field(string key) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var value) ? value : throw Bad($"has no \"{key}\"");
        long[] Integers(string key) => Field(key) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out var n) && n >= 0 ? n : throw Bad($"has a bad {key} entry {x.GetRawText()}")).ToArray()
            : throw Bad($"has {key} that is not an array");

        var dtype = Field("dtype") is { ValueKind: JsonValueKind.String } d ? d.GetString()! : throw Bad("has a dtype that is not a string");
        var shape = Integers("shape");
        var offsets = Integers("data_offsets");
        if (offsets.Length != 2 || offsets[1] < offsets[0] || offsets[1] > dataLength) throw Bad("has data offsets outside the file");
        long expected;
        try { expected = shape.Aggregate((long)SafetensorsDType.ElementSize(dtype), (a, b) => checked(a * b)); }
        catch (OverflowException) { throw Bad($"has a shape [{string.Join(", ", shape)}] too large for any file"); }
        catch (InvalidDataException unsupported) { throw Bad(unsupported.Message); }
        if (expected != offsets[1] - offsets[0]) throw Bad($"has {offsets[1] - offsets[0]} bytes, its shape needs {expected}");
        return new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
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
