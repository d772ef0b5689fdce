using System.Diagnostics;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Support;
using ElectraLab.Config;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Pretraining;

/// <summary>Config text (YAML, JSON) is read within limits: each hostile input is a ConfigTextException naming where.</summary>
[Trait("Category", "Unit")]
public sealed class ConfigTextTests
{
    [Fact]
    public void YamlAndJson_GiveTheSameNodes()
    {
        var yaml = ConfigText.ParseYaml("a: [1, 2.5, x, '3', true, ~]\nb: {c: -4}\n");
        var json = ConfigText.ParseJson("""{"a": [1, 2.5, "x", "3", true, null], "b": {"c": -4}}""");
        Assert.True(JsonNode.DeepEquals(yaml, json), $"{yaml?.ToJsonString()} vs {json?.ToJsonString()}");
    }

    [Fact]
    public void AnchorsAndAliases_WithinTheLimit_AreCopies()
    {
        var node = ConfigText.ParseYaml("a: &x {k: [1, 2]}\nb: *x\n")!;
        Assert.Equal("""{"k":[1,2]}""", node["b"]!.ToJsonString());
    }

    [Theory]
    [InlineData("a: &a [*a]\nname: x\n", "a[0]")]                           // recursive: the anchor is not finished
    [InlineData("a: {b: {c: [1, 2, 3]}}\na: 2\n", "a")]                      // repeated key
    [InlineData("a: {b: 1, b: 2}\n", "a.b")]
    [InlineData("a: [1, {b: .inf}]\n", "a[1].b")]
    [InlineData("a: -.Inf\n", "a")]
    [InlineData("a: .NaN\n", "a")]
    [InlineData("a: 1e999\n", "a")]
    [InlineData("a: \"x\\0y\"\n", "a")]                                      // NUL: PostgreSQL text refuses it
    [InlineData("? [1, 2]\n: x\n", "$")]                                      // a key that is not a plain value
    [InlineData("a: 1\n---\nb: 2\n", "$")]
    [InlineData("a: [1\n", "$")]
    public void HostileYaml_NamesWhere(string text, string path)
    {
        var e = Assert.Throws<ConfigTextException>(() => ConfigText.ParseYaml(text));
        Assert.True(path == e.Path, $"expected {path}, got {e.Message}");
    }

    [Theory]
    [InlineData("""{"a": 1, "a": 2}""", "a")]
    [InlineData("""{"a": [1e999]}""", "a[0]")]
    [InlineData("""{"a": -1e400}""", "a")]
    [InlineData("""{"a": "\ud800"}""", "a")]
    [InlineData("""{"a": "\udc00x\ud800"}""", "a")]
    [InlineData("""{"a": "x\u0000"}""", "a")]
    [InlineData("""{"a": 1} {"b": 2}""", "$")]
    [InlineData("""{"a": NaN}""", "$")]
    [InlineData("", "$")]
    public void HostileJson_NamesWhere(string text, string path)
    {
        var e = Assert.Throws<ConfigTextException>(() => ConfigText.ParseJson(text));
        Assert.True(path == e.Path, $"expected {path}, got {e.Message}");
    }

    [Fact]
    public void SurrogatePairs_AreKept()
    {
        Assert.Equal("😀", (string)ConfigText.ParseJson("""{"a": "\ud83d\ude00"}""")!["a"]!);
        Assert.Equal("😀", (string)ConfigText.ParseYaml("a: \"\\U0001F600\"\n")!["a"]!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DeepNesting_IsRejectedAtTheLimit_WithoutRecursion(bool yaml)
    {
        const int depth = 100_000;
        var text = new string('[', depth) + new string(']', depth);
        var e = Assert.Throws<ConfigTextException>(() => yaml ? ConfigText.ParseYaml(text) : ConfigText.ParseJson(text));
        Assert.Contains("deeper than 64", e.Problem);
        var ok = new string('[', 64) + new string(']', 64);
        Assert.NotNull(yaml ? ConfigText.ParseYaml(ok) : ConfigText.ParseJson(ok));
    }

    [Fact]
    public void AliasBomb_IsRejectedQuickly_ByAliasCountAndByExpandedSize()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 10; i++) lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]");
        var clock = Stopwatch.StartNew();
        Assert.Contains("aliases", Assert.Throws<ConfigTextException>(() => ConfigText.ParseYaml(string.Join("\n", lines))).Problem);
        // Few aliases, but each doubling what it copies: the expanded size is counted before any copy is made.
        var doubling = new List<string> { $"a0: &a0 [{string.Join(", ", Enumerable.Repeat("x", 1000))}]" };
        for (var i = 1; i < 20; i++) doubling.Add($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]");
        Assert.Contains("values", Assert.Throws<ConfigTextException>(() =>
            ConfigText.ParseYaml(string.Join("\n", doubling), new ConfigTextLimits(MaxAliases: 64))).Problem);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public void LongStrings_AreRejected()
    {
        var e = Assert.Throws<ConfigTextException>(() => ConfigText.ParseJson($$"""{"a": "{{new string('x', 5000)}}"}"""));
        Assert.Equal("a", e.Path);
        Assert.Throws<ConfigTextException>(() => ConfigText.ParseYaml($"{new string('k', 5000)}: 1"));
    }

    [Fact]
    public void PretrainingConfigFiles_AreReadWithinTheLimits()
    {
        var dir = TestPaths.TempDirectory("config-text");
        var deep = Path.Combine(dir, "deep.yaml");
        File.WriteAllText(deep, "a: &a [*a]\nmodel_size: small\n");
        Assert.Contains("a[0]", Assert.Throws<InvalidDataException>(() => PretrainingConfigLoader.Load(deep, [])).Message);
        var nested = Path.Combine(dir, "nested.json");
        File.WriteAllText(nested, """{"model_hparam_overrides": """ + new string('[', 50_000));
        Assert.Contains("deeper", Assert.Throws<InvalidDataException>(() => PretrainingConfigLoader.Load(nested, [])).Message);
    }
}
