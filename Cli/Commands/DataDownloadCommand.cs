// `electralab data download glue|squad --out <dir>`: fetch GLUE or SQuAD from the official sources, resumably,
// and verify what arrives. GLUE comes from the URLs of download_glue_data.py (one zip per task; MRPC rebuilt
// from the SentEval copies of the MSR corpus and GLUE's dev_ids.tsv exactly as that script splits it); SQuAD
// from rajpurkar.github.io. Verification: files whose GLUE/SQuAD bytes are known (../shared/data/MANIFEST.json
// holds byte-identical copies) must match those sha256s; every archive's sha256 is recorded in
// <out>/SHA256SUMS on first download and must match it on every later run (trust on first use, since the
// sources publish no checksums).
using System.CommandLine;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace ElectraLab.Cli.Commands;

public static class DataDownloadCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "glue or squad." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to download into (GLUE task folders or SQuAD JSON files land here).", Required = true };
        var command = new Command("download", "Download GLUE or SQuAD from the official sources, resumably, with checksum verification.") { dataset, output };
        command.SetAction(parse =>
        {
            var sources = DatasetSources.For(parse.GetRequiredValue(dataset));
            var folder = parse.GetRequiredValue(output).FullName;
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var downloader = new ResumableDownloader(http, parse.InvocationConfiguration.Output);
            DatasetSources.Install(sources, folder, downloader, parse.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }
}

/// <summary>One file to fetch: where from, the name to store it under, and its sha256 when known in advance.</summary>
public sealed record DownloadSource(Uri Url, string FileName, string? Sha256 = null);

/// <summary>What `data download` fetches for each dataset, and how each download becomes the standard layout.</summary>
public static class DatasetSources
{
    private const string GlueBase = "https://dl.fbaipublicfiles.com/glue/data/";
    private const string SquadBase = "https://rajpurkar.github.io/SQuAD-explorer/dataset/";

    public static readonly IReadOnlyList<DownloadSource> Glue =
    [
        new(new Uri(GlueBase + "CoLA.zip"), "CoLA.zip"),
        new(new Uri(GlueBase + "SST-2.zip"), "SST-2.zip"),
        new(new Uri(GlueBase + "QQP-clean.zip"), "QQP-clean.zip"),
        new(new Uri(GlueBase + "STS-B.zip"), "STS-B.zip"),
        new(new Uri(GlueBase + "MNLI.zip"), "MNLI.zip"),
        new(new Uri(GlueBase + "QNLIv2.zip"), "QNLIv2.zip"),
        new(new Uri(GlueBase + "RTE.zip"), "RTE.zip"),
        new(new Uri(GlueBase + "WNLI.zip"), "WNLI.zip"),
        new(new Uri("https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt"), "msr_paraphrase_train.txt"),
        new(new Uri("https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt"), "msr_paraphrase_test.txt"),
        new(new Uri("https://firebasestorage.googleapis.com/v0/b/mtl-sentence-representations.appspot.com/o/data%2Fmrpc_dev_ids.tsv?alt=media&token=ec5c0836-31d5-48f4-b431-7480817f1adc"),
            "mrpc_dev_ids.tsv"),
    ];

    public static readonly IReadOnlyList<DownloadSource> Squad =
    [
        new(new Uri(SquadBase + "train-v1.1.json"), "train-v1.1.json"),
        new(new Uri(SquadBase + "dev-v1.1.json"), "dev-v1.1.json", "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9"),
        new(new Uri(SquadBase + "train-v2.0.json"), "train-v2.0.json"),
        new(new Uri(SquadBase + "dev-v2.0.json"), "dev-v2.0.json"),
    ];

    /// <summary>Extracted GLUE files whose bytes are known (byte-identical copies in ../shared/data, see PROVENANCE.md).</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownGlueFiles = new Dictionary<string, string>
    {
        ["CoLA/train.tsv"] = "cb368ebeb9f27d7ad03720d27ddc95687a311bdb100781a2fe59a5f5b1bc0624",
        ["CoLA/dev.tsv"] = "8c013e21dc39957cac37378d87bebe225b694a0d5fe13eded66c2856628833fd",
        ["SST-2/dev.tsv"] = "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
        ["MRPC/train.tsv"] = "122becc469405bc16f9defcb8715d2a4b7ce600e9d9381e6dc42bfdd1494c51d",
        ["MRPC/dev.tsv"] = "81c8a1a9e1dfe461dd2c1a4f98f43fe18bece44d2bf9e3d0b245b88e5aa5eaf7",
        ["STS-B/train.tsv"] = "41c4d978b6162abdcada7e49a982211954cca5459c228db478af333124b257a2",
        ["STS-B/dev.tsv"] = "fe7dc0632a5033562f3cadff991f6e8d9b9b6311861660e78c3c82eb7db67f59",
        ["RTE/dev.tsv"] = "80230dfa1347282e7b532b06a1004a76a710087541189bf874223ddf0e3819fb",
        ["WNLI/dev.tsv"] = "cba00490596dd14be8cf53b4f53bb744abe3a7b89f81ab210528d80225338ed5",
    };

    public static IReadOnlyList<DownloadSource> For(string dataset) => dataset.ToLowerInvariant() switch
    {
        "glue" => Glue,
        "squad" => Squad,
        _ => throw new UserInputException($"unknown dataset '{dataset}' (expected glue or squad)"),
    };

    /// <summary>Downloads every source into <paramref name="folder"/>/downloads, then lays GLUE out as task folders.</summary>
    public static void Install(IReadOnlyList<DownloadSource> sources, string folder, ResumableDownloader downloader, TextWriter log)
    {
        var isGlue = ReferenceEquals(sources, Glue);
        var downloads = isGlue ? Path.Combine(folder, "downloads") : folder;
        Directory.CreateDirectory(downloads);
        var sums = new ChecksumFile(Path.Combine(folder, "SHA256SUMS"));
        foreach (var source in sources)
        {
            var path = downloader.Download(source, downloads);
            sums.Verify(source.FileName, ResumableDownloader.Sha256Of(path));
        }
        sums.Save();
        if (!isGlue) return;
        foreach (var zip in sources.Where(s => s.FileName.EndsWith(".zip", StringComparison.Ordinal)))
            ZipFile.ExtractToDirectory(Path.Combine(downloads, zip.FileName), folder, overwriteFiles: true);
        Mrpc.Build(downloads, Path.Combine(folder, "MRPC"));
        foreach (var (relative, sha) in KnownGlueFiles)
        {
            var actual = ResumableDownloader.Sha256Of(Path.Combine(folder, relative));
            if (actual != sha) throw new InvalidDataException($"{relative}: sha256 {actual} is not the known GLUE file {sha}");
        }
        log.WriteLine($"GLUE ready in {folder}");
    }
}

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

/// <summary>SHA256SUMS in the sha256sum format: a file's first recorded hash is the one every later run must see.</summary>
public sealed class ChecksumFile
{
    private readonly string _path;
    private readonly Dictionary<string, string> _sums = new(StringComparer.Ordinal);

    public ChecksumFile(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadAllLines(path))
            if (line.Split("  ", 2) is [var hash, var name]) _sums[name] = hash;
    }

    public void Verify(string name, string sha256)
    {
        if (_sums.TryGetValue(name, out var recorded) && recorded != sha256)
            throw new InvalidDataException($"{name}: sha256 {sha256} differs from {recorded} recorded in {_path} (the file changed at the source, or is corrupt; delete it to fetch again)");
        _sums[name] = sha256;
    }

    public void Save() => File.WriteAllLines(_path, _sums.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Value}  {kv.Key}"));
}

/// <summary>
/// Downloads to <c>name.part</c> and renames when complete. A rerun after an interruption asks the server for the
/// rest with an HTTP Range request and appends it; a server that ignores the range (200) restarts the file. A
/// source with a known sha256 is verified before the rename; a complete file already there is checked and kept.
/// </summary>
public sealed class ResumableDownloader(HttpClient http, TextWriter log)
{
    private readonly HttpClient _http = http;
    private readonly TextWriter _log = log;

    public string Download(DownloadSource source, string folder)
    {
        var target = Path.Combine(folder, source.FileName);
        if (File.Exists(target))
        {
            CheckKnown(source, target);
            _log.WriteLine($"{source.FileName}: already downloaded");
            return target;
        }
        var partial = target + ".part";
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, source.Url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The part file already holds the whole resource.
        }
        else
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidDataException($"{source.Url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            var resuming = response.StatusCode == HttpStatusCode.PartialContent && have > 0;
            if (resuming && response.Content.Headers.ContentRange?.From is { } from && from != have)
                throw new InvalidDataException($"{source.Url}: asked to resume at byte {have}, the server answered from {from}");
            _log.WriteLine(resuming ? $"{source.FileName}: resuming at {have:N0} bytes" : $"{source.FileName}: downloading");
            using var body = response.Content.ReadAsStream();
            using var file = new FileStream(partial, resuming ? FileMode.Append : FileMode.Create, FileAccess.Write);
            body.CopyTo(file);
        }
        CheckKnown(source, partial);
        File.Move(partial, target, overwrite: true);
        return target;
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void CheckKnown(DownloadSource source, string path)
    {
        if (source.Sha256 is null) return;
        var actual = Sha256Of(path);
        if (actual == source.Sha256) return;
        // A corrupt part file must not be resumed again: remove it so the next run starts over.
        if (path.EndsWith(".part", StringComparison.Ordinal)) File.Delete(path);
        throw new InvalidDataException($"{source.FileName}: sha256 {actual} does not match the expected {source.Sha256}");
    }
}
