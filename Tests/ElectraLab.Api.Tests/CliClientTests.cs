using System.Text.Json.Nodes;
using ElectraLab.Api.Tests.Support;
using ElectraLab.Cli;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests;

/// <summary>
/// The `electralab` client commands against the real API on a loopback port (real HTTP, a real cluster running no-op
/// jobs, a real PostgreSQL): what they print, what they create, and the one-line errors.
/// </summary>
[Trait("Category", "Api"), System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliClientTests(KestrelApiHost host, ITestOutputHelper log) : IClassFixture<KestrelApiHost>
{
    private (int Code, string Output, string Error) Cli(params string[] args) => CliRun.Run(log, args);

    private string[] Server(TestTeam team) => ["--server", host.Address!.ToString(), "--api-key", team.Key];

    [SkippableFact]
    public async Task SubmitWatchStatusHistory_FollowASweepThroughTheApi()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var spec = Path.Combine(Path.GetTempPath(), $"cli-sweep-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(spec, ApiHost.NoopSweep(team.Name, name: "cli-noop", trials: 3, noopMs: 200));

        var submit = Cli(["submit", spec, "--watch", .. Server(team)]);
        Assert.Equal(0, submit.Code);
        var sweepId = submit.Output.Split(' ', ':', '\n')[1];
        Assert.Contains("3 experiments queued", submit.Output);
        // The board, written to a non-terminal, prints each experiment when it finishes, and the sweep's final state.
        Assert.Equal(3, submit.Output.Split('\n').Count(l => l.Contains("cli-noop") && l.TrimEnd().EndsWith("completed")));
        Assert.Contains("completed, 3/3 finished", submit.Output);
        // Planned steps come with the sweep (the resolved config's num_train_steps, the default 1M for a no-op spec).
        Assert.Contains("/1000000 steps  completed", submit.Output);

        var status = Cli(["status", sweepId, .. Server(team)]);
        Assert.Equal(0, status.Code);
        Assert.Contains($"sweep cli-noop ({sweepId}): completed", status.Output);
        Assert.Equal(3, status.Output.Split('\n').Count(l => l.StartsWith("cli-noop/") && l.Contains(" completed ")));

        var watch = Cli(["watch", sweepId, .. Server(team)]);
        Assert.Equal(0, watch.Code);

        var history = Cli(["history", "--sweep", sweepId, "--limit", "2", .. Server(team)]);
        Assert.Equal(0, history.Code);
        Assert.Contains("1-2 of 3; next page: --offset 2", history.Output);
        var nextPage = Cli(["history", "--sweep", sweepId, "--limit", "2", "--offset", "2", .. Server(team)]);
        Assert.Contains("3-3 of 3", nextPage.Output);

        // An experiment id works too (no-op jobs keep no job rows; the summary is what there is).
        var experimentId = history.Output.Split('\n').First(l => l.Contains("cli-noop")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
        var one = Cli(["status", experimentId, .. Server(team)]);
        Assert.Equal(0, one.Code);
        Assert.Contains($"({experimentId}): completed", one.Output);
        Assert.Contains("objective electra, model small", one.Output);
        Assert.Contains("no jobs recorded", one.Output);
    }

    [SkippableFact]
    public async Task LeaderboardCompareFork_ShowTheTeamsResults()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var electra = await host.SeedExperimentAsync(team.Id, "cli-electra", "electra", trainFlops: 2e17, glue: 0.82);
        var mlm = await host.SeedExperimentAsync(team.Id, "cli-mlm", "mlm", trainFlops: 1e17, glue: 0.78);

        var board = Cli(["leaderboard", .. Server(team)]);
        Assert.Equal(0, board.Code);
        var lines = board.Output.Split('\n');
        Assert.Contains("glue leaderboard: 2 experiments", lines[0]);
        Assert.Contains("sst2", lines[1]);
        // Ranked by score, medians ×100 with half their seeds' range: 82.00 above 78.00, with params and FLOPs.
        Assert.StartsWith("1  cli-electra", lines[3]);
        Assert.Contains("82.00±1.00", lines[3]);
        Assert.Contains("14,000,000", lines[3]);
        Assert.Contains("2.00e17", lines[3]);
        Assert.StartsWith("2  cli-mlm", lines[4]);
        var byFlops = Cli(["leaderboard", "--sort", "train_flops", "--asc", "--objective", "mlm", .. Server(team)]);
        Assert.Contains("1 experiments", byFlops.Output);

        // The seeded configs are identical, so compare shows no config difference but both results.
        var compare = Cli(["compare", electra.Id.ToString(), mlm.Id.ToString(), .. Server(team)]);
        Assert.Equal(0, compare.Code);
        Assert.Contains("the configs are identical", compare.Output);
        Assert.Matches(@"glue score\s+82\.00\s+78\.00", compare.Output);

        // Another team's key sees nothing of it.
        var stranger = await host.CreateTeamAsync();
        var foreign = Cli(["status", electra.Id.ToString(), .. Server(stranger)]);
        Assert.Equal(1, foreign.Code);
        Assert.Contains("404", foreign.Error);
    }

    [SkippableFact]
    public async Task Fork_CreatesAChildWithTheOverrideAndItsParent()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var spec = Path.Combine(Path.GetTempPath(), $"cli-fork-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(spec, $$$"""{"name": "parent", "team": "{{{team.Name}}}", "workload": {"kind": "noop"}}""");
        var submit = Cli(["submit", spec, "--watch", .. Server(team)]);
        Assert.Equal(0, submit.Code);
        var parent = submit.Output.Split('\n')[1].Trim();

        var fork = Cli(["fork", parent, "--name", "child", "--set", "mask_prob=0.25", "--set", "objective=mlm", "--watch", .. Server(team)]);
        Assert.Equal(0, fork.Code);
        var child = fork.Output.Split(' ')[1];
        using var client = host.Client(team.Key);
        var details = JsonNode.Parse(await client.GetStringAsync($"/api/experiments/{child}"))!;
        Assert.Equal(parent, details["summary"]!["parentExperimentId"]!.GetValue<string>());
        Assert.Equal(0.25, details["config"]!["mask_prob"]!.GetValue<double>());
        Assert.Equal("mlm", details["config"]!["objective"]!.GetValue<string>());
        Assert.Equal("completed", details["summary"]!["status"]!.GetValue<string>());

        var bad = Cli(["fork", parent, "--set", "mask_prob", .. Server(team)]);
        Assert.Equal(1, bad.Code);
        Assert.Contains("expected key=value", bad.Error);
    }

    [SkippableFact]
    public async Task SweepsCancelTagNote_ManageTheTeamsWork()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var other = await host.CreateTeamAsync();
        var dir = Path.Combine(Path.GetTempPath(), $"cli-manage-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "quick.yaml"), ApiHost.NoopSweep(team.Name, name: "quick", trials: 2, noopMs: 50));
        await File.WriteAllTextAsync(Path.Combine(dir, "long.yaml"), ApiHost.NoopSweep(team.Name, name: "long", trials: 2, noopMs: 600_000));
        Assert.Equal(0, Cli(["submit", Path.Combine(dir, "quick.yaml"), "--watch", .. Server(team)]).Code);
        var longSweep = Cli(["submit", Path.Combine(dir, "long.yaml"), .. Server(team)]).Output.Split(' ', ':', '\n')[1];

        var cancel = Cli(["cancel", longSweep, "--reason", "not needed", .. Server(team)]);
        Assert.Equal(0, cancel.Code);
        Assert.Contains($"sweep {longSweep}: cancelling", cancel.Output);
        // watch returns when the cancel has reached every experiment (exit 1: some did not complete).
        Assert.Contains("cancelled", Cli(["watch", longSweep, .. Server(team)]).Output);

        var sweeps = Cli(["sweeps", .. Server(team)]);
        Assert.Equal(0, sweeps.Code);
        var lines = sweeps.Output.Split('\n');
        Assert.Contains(lines, l => l.Contains(" quick ") && l.Contains("completed 2"));
        Assert.Contains(lines, l => l.Contains(" long ") && l.Contains("cancelled"));
        Assert.Contains("1-2 of 2", sweeps.Output);
        Assert.Contains("1-1 of 1", Cli(["sweeps", "--text", "qui", .. Server(team)]).Output);
        Assert.Contains("no sweeps (of 0)", Cli(["sweeps", .. Server(other)]).Output);

        var history = Cli(["history", "--limit", "1", "--text", "quick", .. Server(team)]);
        var experiment = history.Output.Split('\n').First(l => l.Contains("quick/")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("tags baseline,noop", Cli(["tag", experiment, "baseline", "noop", .. Server(team)]).Output);
        Assert.Contains("tags noop", Cli(["tag", experiment, "baseline", "--remove", .. Server(team)]).Output);
        Assert.Equal(0, Cli(["note", experiment, "the control run", .. Server(team)]).Code);
        var details = await ApiHost.ReadAsync<JsonObject>(await host.Client(team.Key).GetAsync($"/api/experiments/{experiment}"));
        Assert.Equal("the control run", details["summary"]!["notes"]!.GetValue<string>());

        // Another team's experiment is not found, in one line.
        var foreign = Cli(["tag", experiment, "x", .. Server(other)]);
        Assert.Equal(1, foreign.Code);
        Assert.Single(foreign.Error.Trim().Split('\n'));
    }

    [SkippableFact]
    public async Task Download_WritesOneModelsHuggingFaceFolder_FromTheExportedCheckpoint()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var experiment = await host.SeedExperimentAsync(team.Id, "exported", glue: null);
        // What a finished pre-training job stores: both models' folders in one tar (here with small stand-in files).
        var export = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(export, leaveOpen: true))
        {
            foreach (var (name, text) in new[] { ("discriminator/config.json", "{\"architectures\":[\"ElectraForPreTraining\"]}"),
                         ("discriminator/model.safetensors", "weights-d"), ("discriminator/vocab.txt", "[PAD]\n[UNK]\n"),
                         ("generator/config.json", "{\"architectures\":[\"ElectraForMaskedLM\"]}"), ("generator/model.safetensors", "weights-g") })
            {
                var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)),
                };
                await writer.WriteEntryAsync(entry);
            }
        }
        export.Position = 0;
        await host.Service<Storage.Checkpoints.CheckpointStore>().WriteAsync(experiment.Id, 500, Storage.Entities.Checkpoint.HuggingFace, export);

        // And a fine-tuned SST-2 model from the same step: its folder is the whole tar.
        var finetuned = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(finetuned, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "config.json")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{\"architectures\":[\"ElectraForSequenceClassification\"]}")),
            });
        }
        finetuned.Position = 0;
        await host.Service<Storage.Checkpoints.CheckpointStore>().WriteAsync(experiment.Id, 500, "hf-finetuned:sst2", finetuned);

        var models = await ApiHost.ReadAsync<List<Endpoints.ModelView>>(await host.Client(team.Key).GetAsync($"/api/experiments/{experiment.Id}/models"));
        Assert.Equal(["sst2@500", "discriminator@500", "generator@500"], models.Select(m => m.Name));
        var classifier = Path.Combine(Path.GetTempPath(), $"cli-download-{Guid.NewGuid():N}");
        Assert.Equal(0, Cli(["download", experiment.Id.ToString(), "--model", "sst2", "--out", classifier, .. Server(team)]).Code);
        Assert.Contains("ElectraForSequenceClassification", await File.ReadAllTextAsync(Path.Combine(classifier, "config.json")));

        var folder = Path.Combine(Path.GetTempPath(), $"cli-download-{Guid.NewGuid():N}");
        var download = Cli(["download", experiment.Id.ToString(), "--out", folder, .. Server(team)]);
        Assert.Equal(0, download.Code);
        Assert.Contains("discriminator@500", download.Output);
        Assert.Equal(["config.json", "model.safetensors", "vocab.txt"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        Assert.Contains("ElectraForPreTraining", await File.ReadAllTextAsync(Path.Combine(folder, "config.json")));

        var generator = Path.Combine(Path.GetTempPath(), $"cli-download-{Guid.NewGuid():N}");
        Assert.Equal(0, Cli(["download", experiment.Id.ToString(), "--model", "generator@500", "--out", generator, .. Server(team)]).Code);
        Assert.Equal("weights-g", await File.ReadAllTextAsync(Path.Combine(generator, "model.safetensors")));

        // A model that is not there, a folder that is not empty, another team: one line each, nothing written.
        var missing = Cli(["download", experiment.Id.ToString(), "--model", "discriminator@999", "--out", Path.Combine(folder, "x"), .. Server(team)]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("available: sst2@500, discriminator@500, generator@500", missing.Error);
        Assert.Equal(1, Cli(["download", experiment.Id.ToString(), "--out", folder, .. Server(team)]).Code);
        var other = await host.CreateTeamAsync();
        var foreign = Cli(["download", experiment.Id.ToString(), "--out", Path.Combine(folder, "y"), .. Server(other)]);
        Assert.Equal(1, foreign.Code);
        Assert.Single(foreign.Error.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(folder, "y")));
    }

    [SkippableFact]
    public async Task Errors_AreOneLineAndNameTheProblem()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var badSpec = Path.Combine(Path.GetTempPath(), $"cli-bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(badSpec, $"name: bad\nteam: {team.Name}\nworkload: {{kind: noop}}\nsearch: {{grid: {{mask_prob: [0.15, 2.0]}}}}\n");
        var invalid = Cli(["submit", badSpec, .. Server(team)]);
        Assert.Equal(1, invalid.Code);
        Assert.StartsWith("error: POST", invalid.Error);
        Assert.Contains("400", invalid.Error);
        Assert.Contains("mask_prob", invalid.Error);
        Assert.Single(invalid.Error.Trim().Split('\n'));

        var wrongKey = Cli(["leaderboard", "--server", host.Address!.ToString(), "--api-key", "elab_not-a-real-key-0000000000"]);
        Assert.Equal(1, wrongKey.Code);
        Assert.Contains("401", wrongKey.Error);
        Assert.Contains("login", wrongKey.Error);

        var unreachable = Cli(["history", "--server", "http://127.0.0.1:1", "--api-key", team.Key]);
        Assert.Equal(1, unreachable.Code);
        Assert.Contains("cannot reach http://127.0.0.1:1/", unreachable.Error);

        var wrongExtension = Cli(["submit", Path.ChangeExtension(badSpec, ".txt"), .. Server(team)]);
        Assert.Equal(1, wrongExtension.Code);
    }

    [SkippableFact]
    public async Task Login_ChecksTheKeyAndRemembersTheServer()
    {
        host.SkipIfUnavailable();
        var team = await host.CreateTeamAsync();
        var config = Path.Combine(Path.GetTempPath(), $"cli-config-{Guid.NewGuid():N}");
        var previous = Environment.GetEnvironmentVariable("ELECTRALAB_CONFIG_DIR");
        Environment.SetEnvironmentVariable("ELECTRALAB_CONFIG_DIR", config);
        try
        {
            var refused = Cli(["login", "--server", host.Address!.ToString(), "--api-key", "elab_wrong-key-000000000000000"]);
            Assert.Equal(1, refused.Code);
            Assert.False(File.Exists(Path.Combine(config, "client.json")));

            var login = Cli(["login", "--server", host.Address!.ToString(), "--api-key", team.Key]);
            Assert.Equal(0, login.Code);
            Assert.Contains($"of team {team.Name}", login.Output);
            var saved = Path.Combine(config, "client.json");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(saved));

            // No --server, no --api-key: the saved login is used.
            var history = Cli(["history"]);
            Assert.Equal(0, history.Code);
            Assert.Contains("no experiments (of 0)", history.Output);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ELECTRALAB_CONFIG_DIR", previous);
        }
    }
}
