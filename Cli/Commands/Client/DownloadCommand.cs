// `electralab download <experiment> [--model NAME] --out DIR`: one of an experiment's models (default: its
// discriminator at the latest exported step) as a Hugging Face folder, ready for `from_pretrained` or `import-hf`.
using System.CommandLine;
using System.Formats.Tar;

namespace ElectraLab.Cli.Commands.Client;

public static class DownloadCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("experiment") { Description = "The experiment whose model to download." };
        var model = new Option<string>("--model") { Description = "model@step (see the list it prints), or discriminator / generator for the latest step.", DefaultValueFactory = _ => "discriminator" };
        var output = new Option<string>("--out") { Description = "The folder to write the model into (created; must be empty if it exists).", Required = true };
        var command = new Command("download", "Download an experiment's model as a Hugging Face folder.") { id, model, output };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                throw new UserInputException($"--out {folder}: the folder is not empty");
            using var client = options.Connect(parse);
            var experiment = parse.GetValue(id);
            var models = (await client.GetAsync($"api/experiments/{experiment}/models", cancellation)).AsArray();
            var wanted = parse.GetValue(model)!;
            var chosen = models.Where(m => Formatting.Text(m!["name"]) == wanted || Formatting.Text(m["model"]) == wanted)
                .MaxBy(m => Formatting.Number(m!["step"]) ?? 0);
            if (chosen is null)
            {
                var available = models.Count == 0 ? "none yet (a pre-training job exports them when it finishes)" : string.Join(", ", models.Select(m => Formatting.Text(m!["name"])));
                throw new UserInputException($"experiment {experiment} has no model '{wanted}'; available: {available}");
            }
            Directory.CreateDirectory(folder);
            var tar = Path.Combine(folder, $".download-{Guid.NewGuid():N}.tar");
            try
            {
                await using (var file = File.Create(tar)) await client.DownloadAsync(Formatting.Text(chosen["download"]).TrimStart('/'), file, cancellation);
                await TarFile.ExtractToDirectoryAsync(tar, folder, overwriteFiles: false, cancellation);
            }
            finally
            {
                File.Delete(tar);
            }
            var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal);
            console.WriteLine($"{Formatting.Text(chosen["name"])} of {experiment} in {folder}: {string.Join(", ", files)}");
        });
        return command;
    }
}
