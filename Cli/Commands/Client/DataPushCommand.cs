// `electralab data push <folder> --name NAME` and `electralab data list`: prepared datasets into the cluster, where any
// silo fetches them by hash, and what the team has there.
using System.CommandLine;
using ElectraLab.Config.Pretraining;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Storage.Datasets;

namespace ElectraLab.Cli.Commands.Client;

public static class DataPushCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var folder = new Argument<DirectoryInfo>("folder") { Description = "A dataset folder written by `electralab data prepare`." };
        var name = new Option<string>("--name") { Description = "The dataset's name in your team (letters, digits, '-', '_', '.').", Required = true };
        var command = new Command("push", "Store a prepared dataset in the cluster (content-addressed), for sweeps to name as `dataset: NAME`.") { folder, name };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var directory = parse.GetValue(folder)!.FullName;
            var datasetName = parse.GetValue(name)!;
            if (!DatasetReference.IsValidName(datasetName))
                throw new UserInputException($"--name '{datasetName}': letters, digits, '-', '_' or '.', up to 100, starting with a letter or digit");
            if (!Directory.Exists(directory)) throw new UserInputException($"{directory}: no such folder");
            // Checked here, where the user can fix it, before anything is sent: the manifest, every shard's header, the vocabulary.
            try
            {
                PretrainingDataset.Load(directory).VerifyShards(directory);
                _ = DatasetPackage.Describe(directory, vocabMayBeOutside: true);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException)
            {
                throw new UserInputException(e.Message.StartsWith(directory, StringComparison.Ordinal) ? e.Message : $"{directory}: {e.Message}");
            }
            var tar = Path.Combine(Path.GetTempPath(), $"electralab-push-{Guid.NewGuid():N}.tar");
            try
            {
                string sha256;
                await using (var target = new FileStream(tar, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    sha256 = await DatasetPackage.WriteAsync(directory, target, vocabMayBeOutside: true, cancellation);
                }
                var bytes = new FileInfo(tar).Length;
                console.WriteLine($"packed {directory} ({Megabytes(bytes)}, sha256 {sha256[..12]}); uploading");
                using var client = options.Connect(parse);
                await using var content = new FileStream(tar, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                var answer = await client.PostStreamAsync($"api/datasets/{datasetName}", content, "application/x-tar", cancellation);
                var dataset = answer["dataset"]!;
                var stored = Formatting.Text(dataset["sha256"]);
                var created = answer["created"]?.GetValue<bool>() == true;
                console.WriteLine($"{(created ? "pushed" : "already stored:")} {datasetName}@{stored[..12]}: " +
                    $"{Formatting.Count(dataset["examples"])} examples, {Formatting.Count(dataset["tokens"])} tokens, vocabulary of {Formatting.Count(dataset["vocabSize"])} " +
                    $"(sha256 {Formatting.Text(dataset["vocabSha256"])[..12]})");
                console.WriteLine($"use it in a sweep's base as `dataset: {datasetName}` (its newest version) or `dataset: {datasetName}@{stored[..12]}`");
            }
            finally
            {
                File.Delete(tar);
            }
        });
        return command;
    }

    public static Command List()
    {
        var options = new ClientOptions();
        var command = new Command("list", "The datasets your team has pushed, newest version of each name first.");
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            using var client = options.Connect(parse);
            var datasets = (await client.GetAsync("api/datasets", cancellation)).AsArray();
            var console = parse.InvocationConfiguration.Output;
            if (datasets.Count == 0)
            {
                console.WriteLine("no datasets yet: `electralab data push <folder> --name NAME`");
                return;
            }
            var table = new TextTable("name", "version", "examples", "tokens", "vocabulary", "size", "pushed");
            foreach (var d in datasets)
            {
                table.Add(Formatting.Text(d!["name"]), Formatting.Text(d["sha256"])[..12], Formatting.Count(d["examples"]), Formatting.Count(d["tokens"]),
                    $"{Formatting.Count(d["vocabSize"])} ({Formatting.Text(d["vocabSha256"])[..12]})", Megabytes(Formatting.Number(d["bytes"]) ?? 0),
                    Formatting.Date(d["createdAt"]));
            }
            table.WriteTo(console);
        });
        return command;
    }

    private static string Megabytes(double bytes) => $"{bytes / 1e6:F1} MB";
}
