using System.Buffers.Binary;
using System.Text;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Checkpoints;

[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class SafetensorsTests
{
    [Fact]
    public void WriteThenRead_IsBitExact_ForEveryDType()
    {
        var dir = TestPaths.TempDirectory("safetensors");
        var path = Path.Combine(dir, "t.safetensors");
        manual_seed(3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 5),
            ["f16"] = randn(7).to_type(ScalarType.Float16),
            ["bf16"] = randn(2, 2, 3).to_type(ScalarType.BFloat16),
            ["i64"] = arange(11, dtype: int64).reshape(1, 11),
            ["f64"] = randn(4, dtype: float64),
            ["scalar"] = tensor(2.5f),
            ["empty"] = zeros(0, 4),
        };
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        using var reader = new SafetensorsReader(path);
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal(tensors.Keys.Order(), reader.Entries.Keys.Order());
        foreach (var (name, expected) in tensors)
        {
            using var actual = reader.Read(name);
            TensorAssert.Identical(expected, actual, name);
        }
        Assert.Equal("BF16", reader.Entries["bf16"].DType);
        Assert.Equal("F16", reader.Entries["f16"].DType);
        Assert.Equal("I64", reader.Entries["i64"].DType);
    }

    [Fact]
    public void Header_IsEightByteAligned_AndOffsetsAreContiguous()
    {
        var path = Path.Combine(TestPaths.TempDirectory("safetensors"), "t.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["b"] = ones(3), ["a"] = ones(2, dtype: int64) });
        var bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + 3 * 4 + 2 * 8, bytes.Length);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Contains("\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}", header);
        Assert.Contains("\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}", header);
    }

    [Fact]
    public void ReadInto_ConvertsStoredHalfPrecision_ToTheModelsFloat32()
    {
        var path = Path.Combine(TestPaths.TempDirectory("safetensors"), "t.safetensors");
        using var source = tensor(new[] { 1.5f, -2.25f, 0.125f });
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = source.to_type(ScalarType.Float16) });
        using var reader = new SafetensorsReader(path);
        using var destination = zeros(3);
        reader.ReadInto("w", destination);
        Assert.Equal(new[] { 1.5f, -2.25f, 0.125f }, destination.data<float>().ToArray());
    }

    [Fact]
    public void ShapeMismatch_NamesTheTensorAndBothShapes()
    {
        var path = Path.Combine(TestPaths.TempDirectory("safetensors"), "t.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["encoder.w"] = ones(2, 3) });
        using var reader = new SafetensorsReader(path);
        using var destination = zeros(3, 2);
        var error = Assert.Throws<InvalidDataException>(() => reader.ReadInto("encoder.w", destination));
        Assert.Contains("'encoder.w'", error.Message);
        Assert.Contains("[2, 3]", error.Message);
        Assert.Contains("[3, 2]", error.Message);
    }

    [Fact]
    public void TruncatedFile_IsRejected_WithTheTensorNamed()
    {
        var path = Path.Combine(TestPaths.TempDirectory("safetensors"), "t.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["big"] = ones(100) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);
        var error = Assert.Throws<InvalidDataException>(() => new SafetensorsReader(path));
        Assert.Contains("'big'", error.Message);
    }

    [Fact]
    public void NotASafetensorsFile_IsRejected()
    {
        var path = Path.Combine(TestPaths.TempDirectory("safetensors"), "t.safetensors");
        File.WriteAllText(path, "this is not a tensor file at all");
        Assert.Throws<InvalidDataException>(() => new SafetensorsReader(path));
    }

    [Fact]
    public void LoadingAModel_WithAMissingOrExtraTensor_FailsNamingIt()
    {
        var dir = TestPaths.TempDirectory("safetensors");
        var config = MicroConfig();
        using var model = new ElectraForPreTraining(config);
        var state = model.state_dict();

        var missing = Path.Combine(dir, "missing.safetensors");
        SafetensorsWriter.Write(missing, state.Where(kv => kv.Key != "electra.encoder.layer.1.output.dense.bias"));
        var error = Assert.Throws<InvalidDataException>(() => HfWeights.Load(model, missing));
        Assert.Contains("'electra.encoder.layer.1.output.dense.bias'", error.Message);

        var extra = Path.Combine(dir, "extra.safetensors");
        SafetensorsWriter.Write(extra, state.Append(KeyValuePair.Create("electra.pooler.dense.weight", ones(2, 2))));
        error = Assert.Throws<InvalidDataException>(() => HfWeights.Load(model, extra));
        Assert.Contains("'electra.pooler.dense.weight'", error.Message);
    }

    internal static ElectraConfig MicroConfig() => new()
    {
        VocabSize = 50, EmbeddingSize = 16, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4,
        IntermediateSize = 64, MaxPositionEmbeddings = 32,
    };
}
