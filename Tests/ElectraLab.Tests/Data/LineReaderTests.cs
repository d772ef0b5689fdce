using System.Text;
using ElectraLab.Electra.Data;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

[Trait("Category", "Unit")]
public sealed class LineReaderTests
{
    [Fact]
    public void ReadLine_SplitsOnLineFeedOnly_AsPythonFileIteration()
    {
        var lines = Read("one\r\ntwo\rstill two\n\nlast"u8.ToArray());
        Assert.Equal(["one\r", "two\rstill two", "", "last"], lines);
    }

    [Fact]
    public void ReadLine_InvalidUtf8_FallsBackToWindows1252()
    {
        // Project Gutenberg's older files: 0x92 is a right single quote in Windows-1252, invalid as UTF-8.
        var lines = Read([.. "don"u8, 0x92, .. "t caf"u8, 0xE9, (byte)'\n']);
        Assert.Equal(["don\u2019t caf\u00e9"], lines);
    }

    [Fact]
    public void ReadLine_Utf8WithBom_DecodesUtf8()
    {
        var lines = Read([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("café\n中文\n")]);
        Assert.Equal(["café", "中文"], lines);
    }

    [Fact]
    public void Expand_FolderIsRecursiveAndSorted_MissingPathThrows()
    {
        var dir = TestPaths.TempDirectory("inputs");
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        File.WriteAllText(Path.Combine(dir, "b", "2.txt"), "x");
        File.WriteAllText(Path.Combine(dir, "a.txt"), "x");
        File.WriteAllText(Path.Combine(dir, ".hidden"), "x");
        Assert.Equal([Path.Combine(dir, "a.txt"), Path.Combine(dir, "b", "2.txt")], TextInputs.Expand([dir, Path.Combine(dir, "a.txt")]));
        Assert.Throws<FileNotFoundException>(() => TextInputs.Expand([Path.Combine(dir, "missing")]));
    }

    private static List<string> Read(byte[] bytes)
    {
        var path = Path.Combine(TestPaths.TempDirectory("lines"), "a.txt");
        File.WriteAllBytes(path, bytes);
        using var reader = new LineReader(path);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }
}
