using System.Text;

namespace ElectraLab.Cli.Commands;

/// <summary>
/// download_glue_data.py's MRPC step: msr_paraphrase_train.txt split into train.tsv and dev.tsv by GLUE's dev ids
/// (the header line copied as is, BOM included, since the script reads plain utf-8), and msr_paraphrase_test.txt
/// re-indexed into test.tsv. Rows are stripped and must have exactly five fields, as the script's unpacking needs.
/// </summary>
public static class Mrpc
{
    private const string TestHeader = "index\t#1 ID\t#2 ID\t#1 String\t#2 String";

    public static void Build(string downloads, string mrpcFolder)
    {
        Directory.CreateDirectory(mrpcFolder);
        var devIdsPath = Path.Combine(downloads, "mrpc_dev_ids.tsv");
        var devIds = new HashSet<(string, string)>();
        foreach (var line in Lines(devIdsPath))
            if (Strip(line).Split('\t') is [var a, var b]) devIds.Add((a, b));
        File.Copy(devIdsPath, Path.Combine(mrpcFolder, "dev_ids.tsv"), overwrite: true);

        var trainSource = Path.Combine(downloads, "msr_paraphrase_train.txt");
        var trainLines = Lines(trainSource);
        using (var train = Writer(Path.Combine(mrpcFolder, "train.tsv")))
        using (var dev = Writer(Path.Combine(mrpcFolder, "dev.tsv")))
        {
            train.WriteLine(trainLines[0]);
            dev.WriteLine(trainLines[0]);
            for (var i = 1; i < trainLines.Count; i++)
            {
                var f = Fields(trainSource, trainLines, i);
                (devIds.Contains((f[1], f[2])) ? dev : train).WriteLine(string.Join('\t', f));
            }
        }
        var testSource = Path.Combine(downloads, "msr_paraphrase_test.txt");
        var testLines = Lines(testSource);
        using var test = Writer(Path.Combine(mrpcFolder, "test.tsv"));
        test.WriteLine(TestHeader);
        for (var i = 1; i < testLines.Count; i++)
        {
            var f = Fields(testSource, testLines, i);
            test.WriteLine($"{i - 1}\t{f[1]}\t{f[2]}\t{f[3]}\t{f[4]}");
        }
    }

    private static string[] Fields(string path, List<string> lines, int i) =>
        Strip(lines[i]).Split('\t') is { Length: 5 } fields
            ? fields
            : throw new InvalidDataException($"{path}: line {i + 1} does not have 5 tab-separated fields");

    // Python's text mode: universal newlines, and the BOM kept as a character (encoding 'utf-8', not 'utf-8-sig').
    private static List<string> Lines(string path)
    {
        var text = new UTF8Encoding(false).GetString(File.ReadAllBytes(path)).Replace("\r\n", "\n").Replace('\r', '\n');
        var lines = text.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static string Strip(string s) => s.Trim().Trim('\x1c', '\x1d', '\x1e', '\x1f');

    private static StreamWriter Writer(string path) => new(path, false, new UTF8Encoding(false)) { NewLine = "\n" };
}
