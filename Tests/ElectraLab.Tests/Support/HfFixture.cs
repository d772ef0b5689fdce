using System.Text.Json;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Support;

/// <summary>One folder of ../shared/fixtures/hf-electra: configs, weights, inputs, expected outputs and gradients.</summary>
public sealed class HfFixture : IDisposable
{
    public HfFixture(string directory)
    {
        Directory = directory;
        Config = ElectraConfig.Load(Path.Combine(directory, "config.json"));
        GeneratorConfig = ElectraConfig.Load(Path.Combine(directory, "generator_config.json"));
        Expected = new SafetensorsReader(Path.Combine(directory, "expected.safetensors"));
        Grads = new SafetensorsReader(Path.Combine(directory, "grads.safetensors"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "inputs.json")));
        Inputs = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => ToTensor(p.Value));
    }

    public string Directory { get; }
    public ElectraConfig Config { get; }
    public ElectraConfig GeneratorConfig { get; }
    public SafetensorsReader Expected { get; }
    public SafetensorsReader Grads { get; }
    public IReadOnlyDictionary<string, Tensor> Inputs { get; }

    public Tensor InputIds => Inputs["input_ids"];
    public Tensor AttentionMask => Inputs["attention_mask"];
    public Tensor TokenTypeIds => Inputs["token_type_ids"];

    public string Weights(string name) => Path.Combine(Directory, name + ".safetensors");

    /// <summary>Every sub-folder of the fixture root (ELECTRALAB_HF_FIXTURES or ../shared/fixtures/hf-electra).</summary>
    public static TheoryData<string> All() => new(Names());

    public static IReadOnlyList<string> Names()
    {
        var root = TestPaths.HfFixtures;
        var names = new List<string>();
        if (System.IO.Directory.Exists(root))
            foreach (var dir in System.IO.Directory.GetDirectories(root).Order(StringComparer.Ordinal))
                if (File.Exists(Path.Combine(dir, "expected.safetensors"))) names.Add(Path.GetFileName(dir));
        // No fixtures is a failure, never a skip: the parity claim must be checked on every run.
        if (names.Count == 0) names.Add("<no fixture folders under " + root + ">");
        return names;
    }

    public static HfFixture Open(string name)
    {
        var dir = Path.Combine(TestPaths.HfFixtures, name);
        Assert.True(System.IO.Directory.Exists(dir), $"HF fixture folder missing: {dir}");
        return new HfFixture(dir);
    }

    private static Tensor ToTensor(JsonElement value)
    {
        var shape = new List<long>();
        var e = value;
        while (e.ValueKind == JsonValueKind.Array) { shape.Add(e.GetArrayLength()); e = e[0]; }
        var flat = new List<long>();
        Flatten(value, flat);
        return tensor(flat.ToArray(), dtype: int64).reshape(shape.ToArray());
    }

    private static void Flatten(JsonElement value, List<long> into)
    {
        if (value.ValueKind == JsonValueKind.Array) foreach (var item in value.EnumerateArray()) Flatten(item, into);
        else into.Add(value.GetInt64());
    }

    public void Dispose()
    {
        Expected.Dispose();
        Grads.Dispose();
        foreach (var t in Inputs.Values) t.Dispose();
    }
}
