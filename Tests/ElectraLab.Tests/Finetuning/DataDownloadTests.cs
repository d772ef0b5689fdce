using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ElectraLab.Cli;
using ElectraLab.Cli.Commands;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Finetuning;

/// <summary>`data download`: argument handling, resumable downloads against a loopback server, checksums, MRPC layout.</summary>
[Trait("Category", "Unit")]
public sealed class DataDownloadTests
{
    /// <summary>Serves one byte array at /file, honouring "Range: bytes=N-" unless told not to. Records the ranges asked for.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly byte[] _content;
        private readonly bool _honourRange;
        private readonly Task _loop;

        public LoopbackServer(byte[] content, bool honourRange = true)
        {
            _content = content;
            _honourRange = honourRange;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = new Uri($"http://127.0.0.1:{port}/file");
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public Uri Url { get; }
        public List<string?> RangesRequested { get; } = [];

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                var range = context.Request.Headers["Range"];
                lock (RangesRequested) RangesRequested.Add(range);
                var from = 0;
                if (_honourRange && range is not null && range.StartsWith("bytes=") && range.EndsWith('-'))
                {
                    from = int.Parse(range["bytes=".Length..^1]);
                    if (from >= _content.Length)
                    {
                        context.Response.StatusCode = 416;
                        context.Response.Close();
                        continue;
                    }
                    context.Response.StatusCode = 206;
                    context.Response.Headers["Content-Range"] = $"bytes {from}-{_content.Length - 1}/{_content.Length}";
                }
                context.Response.ContentLength64 = _content.Length - from;
                await context.Response.OutputStream.WriteAsync(_content.AsMemory(from));
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
    }

    private static byte[] Payload()
    {
        var bytes = new byte[100_000];
        new Random(7).NextBytes(bytes);
        return bytes;
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static ResumableDownloader Downloader(HttpClient http) => new(http, TextWriter.Null);

    [Fact]
    public void Download_Fresh_WritesTheFileAndVerifiesTheKnownChecksum()
    {
        var payload = Payload();
        using var server = new LoopbackServer(payload);
        using var http = new HttpClient();
        var folder = TestPaths.TempDirectory("dl");
        var path = Downloader(http).Download(new DownloadSource(server.Url, "data.bin", Sha(payload)), folder);
        Assert.Equal(payload, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".part"));
        Assert.Equal([null], server.RangesRequested);

        // A second run finds the complete file and makes no request.
        Downloader(http).Download(new DownloadSource(server.Url, "data.bin", Sha(payload)), folder);
        Assert.Single(server.RangesRequested);
    }

    [Fact]
    public void Download_AfterAnInterruption_ResumesWithARangeRequest()
    {
        var payload = Payload();
        using var server = new LoopbackServer(payload);
        using var http = new HttpClient();
        var folder = TestPaths.TempDirectory("dl");
        File.WriteAllBytes(Path.Combine(folder, "data.bin.part"), payload[..40_000]);
        var path = Downloader(http).Download(new DownloadSource(server.Url, "data.bin", Sha(payload)), folder);
        Assert.Equal(["bytes=40000-"], server.RangesRequested);
        Assert.Equal(payload, File.ReadAllBytes(path));
    }

    [Fact]
    public void Download_WhenTheServerIgnoresRanges_StartsOver()
    {
        var payload = Payload();
        using var server = new LoopbackServer(payload, honourRange: false);
        using var http = new HttpClient();
        var folder = TestPaths.TempDirectory("dl");
        File.WriteAllBytes(Path.Combine(folder, "data.bin.part"), payload[..40_000]);
        var path = Downloader(http).Download(new DownloadSource(server.Url, "data.bin"), folder);
        Assert.Equal(payload, File.ReadAllBytes(path));
    }

    [Fact]
    public void Download_OfAFullPartFile_AcceptsRangeNotSatisfiable()
    {
        var payload = Payload();
        using var server = new LoopbackServer(payload);
        using var http = new HttpClient();
        var folder = TestPaths.TempDirectory("dl");
        File.WriteAllBytes(Path.Combine(folder, "data.bin.part"), payload);
        var path = Downloader(http).Download(new DownloadSource(server.Url, "data.bin", Sha(payload)), folder);
        Assert.Equal(payload, File.ReadAllBytes(path));
    }

    [Fact]
    public void Download_WithAWrongChecksum_FailsAndDropsThePartFile()
    {
        var payload = Payload();
        using var server = new LoopbackServer(payload);
        using var http = new HttpClient();
        var folder = TestPaths.TempDirectory("dl");
        var error = Assert.Throws<InvalidDataException>(() =>
            Downloader(http).Download(new DownloadSource(server.Url, "data.bin", new string('0', 64)), folder));
        Assert.Contains("does not match", error.Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void ChecksumFile_TrustsTheFirstHashAndRejectsAChange()
    {
        var path = Path.Combine(TestPaths.TempDirectory("sums"), "SHA256SUMS");
        var sums = new ChecksumFile(path);
        sums.Verify("CoLA.zip", "aa");
        sums.Save();
        Assert.Equal(["aa  CoLA.zip"], File.ReadAllLines(path));
        var reloaded = new ChecksumFile(path);
        reloaded.Verify("CoLA.zip", "aa");
        Assert.Contains("differs", Assert.Throws<InvalidDataException>(() => reloaded.Verify("CoLA.zip", "bb")).Message);
    }

    [Fact]
    public void Mrpc_SplitByDevIds_ReproducesTheGlueFilesByteForByte()
    {
        // The GLUE train and dev files are the two halves of msr_paraphrase_train.txt; any interleaving of their rows
        // splits back into the same two files, so train rows then dev rows stand in for the original.
        var shared = Path.Combine(TestPaths.Shared, "data", "glue", "MRPC");
        var downloads = TestPaths.TempDirectory("mrpc");
        var train = File.ReadAllLines(Path.Combine(shared, "train.tsv"));
        var dev = File.ReadAllLines(Path.Combine(shared, "dev.tsv")).Skip(1);
        // File.ReadAllLines drops the BOM; the source's header carries it.
        File.WriteAllText(Path.Combine(downloads, "msr_paraphrase_train.txt"), "\uFEFF" + string.Join("\r\n", train.Skip(1).Prepend(train[0]).Concat(dev)) + "\r\n");
        File.WriteAllText(Path.Combine(downloads, "msr_paraphrase_test.txt"), "\uFEFFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA cat.\tA dog.\n");
        File.Copy(Path.Combine(shared, "dev_ids.tsv"), Path.Combine(downloads, "mrpc_dev_ids.tsv"));
        var output = Path.Combine(downloads, "MRPC");
        Mrpc.Build(downloads, output);
        foreach (var name in new[] { "train.tsv", "dev.tsv" })
            Assert.Equal(DatasetSources.KnownGlueFiles[$"MRPC/{name}"], ResumableDownloader.Sha256Of(Path.Combine(output, name)));
        Assert.Equal(["index\t#1 ID\t#2 ID\t#1 String\t#2 String", "0\t1\t2\tA cat.\tA dog."], File.ReadAllLines(Path.Combine(output, "test.tsv")));
    }

    [Fact]
    public void KnownGlueChecksums_MatchTheSharedCopies()
    {
        foreach (var (relative, sha) in DatasetSources.KnownGlueFiles)
            Assert.Equal(sha, ResumableDownloader.Sha256Of(Path.Combine(TestPaths.Shared, "data", "glue", relative)));
        var dev11 = DatasetSources.Squad.Single(s => s.FileName == "dev-v1.1.json");
        Assert.Equal(dev11.Sha256, ResumableDownloader.Sha256Of(Path.Combine(TestPaths.Shared, "data", "squad", "dev-v1.1.json")));
    }

    private static (int Code, string Error) RunDownload(params string[] args)
    {
        // The lead attaches `download` under `data`; here it hangs off a bare root, with CliApp's error mapping.
        var root = new RootCommand { DataDownloadCommand.Create() };
        var error = new StringWriter();
        try
        {
            return (root.Parse(args).Invoke(new InvocationConfiguration { Output = TextWriter.Null, Error = error, EnableDefaultExceptionHandler = false }), error.ToString());
        }
        catch (Exception e) when (UserError.IsUserError(e))
        {
            return (1, $"error: {e.Message}");
        }
    }

    [Fact]
    public void Command_RejectsAnUnknownDatasetAndAMissingOut()
    {
        var (code, error) = RunDownload("download", "imagenet", "--out", TestPaths.TempDirectory("dl"));
        Assert.Equal(1, code);
        Assert.Equal("error: unknown dataset 'imagenet' (expected glue or squad)", error);
        (code, error) = RunDownload("download", "glue");
        Assert.NotEqual(0, code);
        Assert.Contains("--out", error);
        Assert.Equal(4, DatasetSources.For("SQuAD").Count);
        Assert.Equal(11, DatasetSources.For("glue").Count);
    }
}
