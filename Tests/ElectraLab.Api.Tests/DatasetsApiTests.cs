using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Cli;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Storage.Datasets;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>The API with a 40 MB dataset limit: above Kestrel's 30 MB default, small enough to cross in a test.</summary>
public sealed class DatasetUploadApiHost : ApiHost
{
    public const long Limit = 40_000_000;

    public DatasetUploadApiHost()
    {
        Kestrel = true;
        Settings["ElectraLab:Api:MaxDatasetBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Datasets in over real HTTP: `electralab data push` of a real prepared dataset, again (stored once), `data list`,
/// another team seeing nothing; an upload past Kestrel's default body limit is stored, one past the configured limit
/// is 413; an upload that is not a tar, escapes its folder, lacks a manifest or lies about its vocabulary is a 400
/// naming the body; a folder that is not a dataset never leaves the CLI.
/// </summary>
[Trait("Category", "Api"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DatasetsApiTests(DatasetUploadApiHost host, ITestOutputHelper log) : IClassFixture<DatasetUploadApiHost>
{
    private static readonly string Shared = Path.GetFullPath(Path.Combine(typeof(DatasetsApiTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!, "..", "shared"));

    [SkippableFact]
    public async Task Cli_PushesAPreparedDataset_Once_ListsIt_AndOtherTeamsSeeNothing()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var other = await host.CreateTeamAsync();
        var folder = PrepareMicroDataset();
        string[] server = ["--server", host.Address!.ToString(), "--api-key", team.Key];

        var pushed = Cli(["data", "push", folder, "--name", "frankenstein", .. server]);
        Assert.Equal(0, pushed.Code);
        var sha = await DatasetPackage.HashAsync(folder);
        Assert.Contains($"pushed frankenstein@{sha[..12]}", pushed.Output);
        Assert.Contains("vocabulary of 30,522", pushed.Output);
        var again = Cli(["data", "push", folder, "--name", "frankenstein", .. server]);
        Assert.Equal(0, again.Code);
        Assert.Contains($"already stored: frankenstein@{sha[..12]}", again.Output);

        var listed = Cli(["data", "list", .. server]);
        Assert.Equal(0, listed.Code);
        Assert.Contains("frankenstein", listed.Output);
        Assert.Contains(sha[..12], listed.Output);

        using var client = host.Client(team.Key);
        var versions = JsonNode.Parse(await client.GetStringAsync("/api/datasets/frankenstein"))!.AsArray();
        Assert.Equal(sha, Assert.Single(versions)!["sha256"]!.GetValue<string>());
        Assert.Equal($"frankenstein@{sha}", versions[0]!["reference"]!.GetValue<string>());

        using var stranger = host.Client(other.Key);
        Assert.Empty(JsonNode.Parse(await stranger.GetStringAsync("/api/datasets"))!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync("/api/datasets/frankenstein")).StatusCode);
        Assert.Contains("no datasets yet", Cli(["data", "list", "--server", host.Address!.ToString(), "--api-key", other.Key]).Output);

        // Not a dataset: refused by the CLI itself, in one line, with nothing sent.
        var empty = Directory.CreateTempSubdirectory("not-a-dataset").FullName;
        var refused = Cli(["data", "push", empty, "--name", "nothing", .. server]);
        Assert.Equal(1, refused.Code);
        Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.Equal($"error: {empty}: not a pre-training dataset (no dataset.json)", refused.Error.Trim());
        var badName = Cli(["data", "push", folder, "--name", "../etc", .. server]);
        Assert.Equal(1, badName.Code);
        Assert.Contains("--name '../etc'", badName.Error);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/datasets/nothing")).StatusCode);
    }

    [SkippableFact]
    public async Task Uploads_AboveKestrelsDefaultAreStored_AboveTheLimitAre413_AndBrokenTarsAre400()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        using var client = host.Client(team.Key);
        client.Timeout = TimeSpan.FromMinutes(5);

        var big = FakeDataset(35_000_000);
        var (status, body) = await PushAsync(client, "big", await PackAsync(big));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(body["dataset"]!["bytes"]!.GetValue<long>() > 35_000_000);

        var tooBig = FakeDataset((int)DatasetUploadApiHost.Limit + 1);
        (status, body) = await PushAsync(client, "too-big", await PackAsync(tooBig));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("40,000,000", body["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/datasets/too-big")).StatusCode);

        var notATar = new byte[10_000];
        new Random(1).NextBytes(notATar);
        await AssertBodyRefusedAsync(client, notATar, "");
        await AssertBodyRefusedAsync(client, Tar(("../escape.txt", "x")), "is not a plain file name");
        await AssertBodyRefusedAsync(client, Tar(("vocab.txt", "[PAD]\n")), "no dataset.json");
        var small = FakeDataset(1000);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(small, "dataset.json")))!.AsObject();
        manifest["vocab_sha256"] = new string('0', 64);
        await AssertBodyRefusedAsync(client, Tar(("dataset.json", manifest.ToJsonString()), ("vocab.txt", File.ReadAllText(Path.Combine(small, "vocab.txt"))),
            ("shard-00000.bin", "abc")), "changed since the dataset was prepared");

        (status, body) = await PushAsync(client, "bad%20name", await PackAsync(small));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body["errors"]!.AsObject().ContainsKey("name"));
        Assert.Equal(["big"], JsonNode.Parse(await client.GetStringAsync("/api/datasets"))!.AsArray().Select(d => d!["name"]!.GetValue<string>()));
    }

    private static async Task AssertBodyRefusedAsync(HttpClient client, byte[] tar, string problem)
    {
        var (status, body) = await PushAsync(client, "broken", tar);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(problem, body["errors"]!["body"]![0]!.GetValue<string>());
    }

    private static async Task<(HttpStatusCode, JsonNode)> PushAsync(HttpClient client, string name, byte[] tar)
    {
        using var content = new ByteArrayContent(tar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/datasets/{name}") { Content = content };
        // As the CLI sends it: a refusal comes back before the body is sent.
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static async Task<byte[]> PackAsync(string folder)
    {
        var tar = new MemoryStream();
        await DatasetPackage.WriteAsync(folder, tar, vocabMayBeOutside: true);
        return tar.ToArray();
    }

    private static byte[] Tar(params (string Name, string Text)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, leaveOpen: true))
        {
            foreach (var (name, text) in files)
            {
                writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                });
            }
        }
        return tar.ToArray();
    }

    /// <summary>Frankenstein's first chapters as a real prepared dataset (32-token examples), as `data prepare` writes it.</summary>
    private static string PrepareMicroDataset()
    {
        var vocab = Path.Combine(Shared, "data", "vocab", "bert-base-uncased-vocab.txt");
        var text = Directory.CreateTempSubdirectory("corpus").FullName;
        var corpus = Path.Combine(text, "part.txt");
        File.WriteAllLines(corpus, File.ReadLines(Path.Combine(Shared, "data", "corpus", "gutenberg", "pg84.txt")).Take(2000));
        var output = Directory.CreateTempSubdirectory("prepared").FullName;
        PretrainingDatasetBuilder.Build(WordPieceTokenizer.FromVocabFile(vocab), vocab, new PretrainingBuildOptions
        {
            InputFiles = [corpus],
            OutputDirectory = output,
            MaxSeqLength = 32,
            Threads = 1,
        }, null, CancellationToken.None);
        return output;
    }

    /// <summary>A folder shaped like a prepared dataset, its one shard random bytes (the server does not read shards).</summary>
    private static string FakeDataset(int shardBytes)
    {
        var folder = Directory.CreateTempSubdirectory("fake-dataset").FullName;
        const string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n";
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), vocab);
        var shard = new byte[shardBytes];
        new Random(7).NextBytes(shard);
        File.WriteAllBytes(Path.Combine(folder, "shard-00000.bin"), shard);
        File.WriteAllText(Path.Combine(folder, "dataset.json"), new JsonObject
        {
            ["vocab_file"] = "vocab.txt", ["vocab_sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(vocab))),
            ["vocab_size"] = 6, ["example_count"] = 1, ["token_count"] = 1, ["max_seq_length"] = 32, ["lower_case"] = true,
            ["shards"] = new JsonArray(new JsonObject { ["file"] = "shard-00000.bin", ["examples"] = 1 }),
        }.ToJsonString());
        return folder;
    }

    private (int Code, string Output, string Error) Cli(params string[] args) => CliRun.Run(log, args);
}
