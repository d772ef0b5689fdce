using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Storage.Datasets;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// A dataset pushed into the cluster trains on silos that share no folder: two silo processes, each with its own work
/// directory, run a two-seed sweep that names the dataset (its source folder deleted after the push); each experiment
/// records the pushed hash and vocabulary, each silo that ran a job holds one verified copy in its own cache, and an
/// experiment reading the same content from a local data_dir records the same hash. A name the team never pushed, a
/// version prefix that matches nothing, or both dataset and data_dir are refused at submission.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DatasetSharingTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    private const string AdminKey = "elab_admin_dataset-sharing-test";

    [SkippableFact]
    public async Task PushedDataset_TrainsOnTwoSilosThatShareNoFolder_AndEveryExperimentRecordsItsHash()
    {
        database.SkipIfUnavailable();
        var clusterId = $"data-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:ElectraLab"] = database.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Dashboard:Enabled"] = "false",
            ["ElectraLab:Slots:Cpu"] = "1",
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Api:AdminKey"] = AdminKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var work = new[] { TestData.TempDirectory("data-silo-1"), TestData.TempDirectory("data-silo-2") };
        var httpPort = SiloProcess.FreePort();
        using var first = SiloProcess.Start("silo-1", new Dictionary<string, string>(settings)
        {
            ["ElectraLab:Silo:HostApi"] = "true", ["ElectraLab:Jobs:WorkDirectory"] = work[0],
        }, httpPort);
        using var second = SiloProcess.Start("silo-2", new Dictionary<string, string>(settings)
        {
            ["ElectraLab:Jobs:WorkDirectory"] = work[1],
        }, SiloProcess.FreePort());
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            await Wait.UntilAsync(() => database.ScalarAsync<long>(
                "SELECT count(*) FROM orleans_membership WHERE deployment_id = $1 AND status = 3", clusterId),
                n => n == 2, TimeSpan.FromSeconds(90), "both silos to join");
            await Wait.UntilAsync(() => Wait.HttpStatusAsync(http, "/health/ready"), s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "the API", TimeSpan.FromMilliseconds(200));
            using var client = await TeamClientAsync(http);
            var team = JsonNode.Parse(await client.GetStringAsync("/api/me"))?["team"]?["name"]?.GetValue<string>();

            // Push a copy of the micro dataset, then delete the copy: no silo can read it from a disk.
            var source = TestData.TempDirectory("to-push");
            foreach (var file in Directory.GetFiles(TestData.DatasetDirectory)) File.Copy(file, Path.Combine(source, Path.GetFileName(file)));
            var tar = Path.Combine(TestData.TempDirectory("push-tar"), "dataset.tar");
            string packed;
            await using (var target = File.Create(tar)) packed = await DatasetPackage.WriteAsync(source, target, vocabMayBeOutside: true);
            Directory.Delete(source, recursive: true);
            var pushed = await PushAsync(client, "micro", tar);
            Assert.Equal(HttpStatusCode.Created, pushed.Status);
            var sha = pushed.Body["dataset"]!["sha256"]!.GetValue<string>();
            Assert.Equal(packed, sha);
            var again = await PushAsync(client, "micro", tar);
            Assert.Equal(HttpStatusCode.OK, again.Status);
            Assert.False(again.Body["created"]!.GetValue<bool>());

            var config = TestData.MicroConfig(40, logEvery: 10);
            config.Remove("data_dir");
            config["dataset"] = "micro";
            var created = await SubmitAsync(client, $$"""
                name: pushed-data
                team: {{team}}
                base: {{config.ToJsonString()}}
                seeds: {pretraining: [1, 2]}
                """);
            Assert.Equal(HttpStatusCode.Created, created.Status);
            var experiments = created.Body["experimentIds"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();

            // The same content read from a local folder: same canonical hash.
            var local = TestData.MicroConfig(4, logEvery: 2);
            var localCreated = await SubmitAsync(client, $$"""
                name: local-data
                team: {{team}}
                base: {{local.ToJsonString()}}
                """);
            Assert.Equal(HttpStatusCode.Created, localCreated.Status);
            var localExperiment = localCreated.Body["experimentIds"]![0]!.GetValue<string>();

            var silos = new HashSet<string>();
            foreach (var id in experiments.Append(localExperiment))
            {
                var detail = await Wait.UntilAsync(async () => JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{id}"))!,
                    d => ExperimentStates.TerminalNames.Contains(d["summary"]!["status"]!.GetValue<string>()), TimeSpan.FromSeconds(240),
                    $"experiment {id} to finish", TimeSpan.FromSeconds(1));
                output.WriteLine($"{id}: {detail["summary"]!["status"]} data {detail["data"]?.ToJsonString()} on {detail["jobs"]![0]!["silo"]}");
                Assert.Equal("completed", detail["summary"]!["status"]!.GetValue<string>());
                Assert.Equal(sha, detail["data"]!["sha256"]!.GetValue<string>());
                Assert.Equal(30522, detail["data"]!["vocabSize"]!.GetValue<int>());
                Assert.Equal(64, detail["data"]!["vocabSha256"]!.GetValue<string>().Length);
                if (id != localExperiment)
                {
                    Assert.Equal("micro", detail["data"]!["dataset"]!.GetValue<string>());
                    // Pinned at submission: the config names the exact version.
                    Assert.Equal($"micro@{sha}", detail["config"]!["dataset"]!.GetValue<string>());
                    silos.Add(detail["jobs"]![0]!["silo"]!.GetValue<string>());
                }
            }
            var cached = work.Where(w => File.Exists(Path.Combine(w, "datasets", sha, ".verified"))).ToList();
            output.WriteLine($"jobs ran on {silos.Count} silo(s); caches: {string.Join(", ", cached)}");
            Assert.Equal(silos.Count, cached.Count);
            Assert.All(cached, w => Assert.True(File.Exists(Path.Combine(w, "datasets", sha, "dataset.json"))));
            Assert.Empty(work.SelectMany(w => Directory.Exists(Path.Combine(w, "datasets"))
                ? Directory.GetFileSystemEntries(Path.Combine(w, "datasets"), ".fetch-*") : []));

            // Refused at submission, naming the field.
            var unknown = config.DeepClone().AsObject();
            unknown["dataset"] = "never-pushed";
            await AssertRefusedAsync(client, team!, unknown, "base.dataset", "no dataset 'never-pushed'");
            var wrongVersion = config.DeepClone().AsObject();
            wrongVersion["dataset"] = "micro@000000";
            await AssertRefusedAsync(client, team!, wrongVersion, "base.dataset", "no version 000000");
            var both = config.DeepClone().AsObject();
            both["data_dir"] = TestData.DatasetDirectory;
            await AssertRefusedAsync(client, team!, both, "base.dataset", "give one");
        }
        catch
        {
            output.WriteLine(first.Log);
            output.WriteLine(second.Log);
            throw;
        }
    }

    private static async Task<HttpClient> TeamClientAsync(HttpClient http)
    {
        using var admin = new HttpClient { BaseAddress = http.BaseAddress };
        admin.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        var team = JsonNode.Parse(await (await admin.PostAsJsonAsync("/api/teams", new { name = $"data-{Guid.NewGuid():N}"[..20] })).Content.ReadAsStringAsync())!;
        var user = JsonNode.Parse(await (await admin.PostAsJsonAsync($"/api/teams/{team["id"]}/users",
            new { name = "Ada", email = $"ada-{Guid.NewGuid():N}@example.org" })).Content.ReadAsStringAsync())!;
        var client = new HttpClient { BaseAddress = http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", user["apiKey"]!["key"]!.GetValue<string>());
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PushAsync(HttpClient client, string name, string tar)
    {
        await using var file = File.OpenRead(tar);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        using var response = await client.PostAsync($"/api/datasets/{name}", content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> SubmitAsync(HttpClient client, string spec)
    {
        using var response = await client.PostAsync("/api/sweeps", new StringContent(spec, Encoding.UTF8, "application/yaml"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static async Task AssertRefusedAsync(HttpClient client, string team, JsonObject config, string field, string problem)
    {
        var (status, body) = await SubmitAsync(client, $$"""
            name: refused-{{Guid.NewGuid():N}}
            team: {{team}}
            base: {{config.ToJsonString()}}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = body["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), body.ToJsonString());
        Assert.Contains(problem, errors[field]![0]!.GetValue<string>());
    }
}
