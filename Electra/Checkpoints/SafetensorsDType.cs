// The dtype strings of the safetensors format and their TorchSharp scalar types.
using static TorchSharp.torch;

namespace ElectraLab.Electra.Checkpoints;

public static class SafetensorsDType
{
    static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    public static ScalarType ToScalarType(string name, string tensor)
    {
        foreach (var row in Table) if (row.Name == name) return row.Type;
        throw new InvalidDataException($"tensor '{tensor}': dtype '{name}' is not supported");
    }

    public static string FromScalarType(ScalarType type)
    {
        foreach (var row in Table) if (row.Type == type) return row.Name;
        throw new NotSupportedException($"dtype {type} cannot be written to safetensors");
    }

    public static int ElementSize(string name)
    {
        foreach (var row in Table) if (row.Name == name) return row.Size;
        throw new InvalidDataException($"dtype '{name}' is not supported");
    }
}
