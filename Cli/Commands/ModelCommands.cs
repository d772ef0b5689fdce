// import-hf, export-hf and inspect: moving models between ElectraLab and the Hugging Face format.
using System.CommandLine;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Cli.Commands;

public static class ModelCommands
{
    public static Command ImportHf()
    {
        var source = new Argument<DirectoryInfo>("dir") { Description = "A Hugging Face ELECTRA folder (config.json + model.safetensors), e.g. a downloaded google/electra-small-discriminator." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model folder to create (default: ./models/<folder name>).", };
        var command = new Command("import-hf", "Validate a Hugging Face ELECTRA folder and store it as an ElectraLab model.") { source, output };
        command.SetAction(parse =>
        {
            var dir = parse.GetRequiredValue(source);
            var target = parse.GetValue(output)?.FullName ?? Path.Combine("models", dir.Name);
            var (model, config, architecture) = HfModelDirectory.Load(RequireDirectory(dir));
            using (model)
            {
                HfModelDirectory.Save(target, model, config, architecture);
                var writer = parse.InvocationConfiguration.Output;
                writer.WriteLine($"imported {architecture} ({ModelSummary.ParameterCount(model):N0} parameters) from {dir.FullName}");
                writer.WriteLine($"model folder: {Path.GetFullPath(target)}");
            }
            return 0;
        });
        return command;
    }

    public static Command ExportHf()
    {
        var source = new Argument<DirectoryInfo>("dir") { Description = "An ElectraLab model folder." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write config.json and model.safetensors into.", Required = true };
        var command = new Command("export-hf", "Write a model as a Hugging Face folder that transformers' from_pretrained loads.") { source, output };
        command.SetAction(parse =>
        {
            var dir = parse.GetRequiredValue(source);
            var target = parse.GetRequiredValue(output).FullName;
            var (model, config, architecture) = HfModelDirectory.Load(RequireDirectory(dir));
            using (model)
            {
                HfModelDirectory.Save(target, model, config, architecture);
                parse.InvocationConfiguration.Output.WriteLine($"exported {architecture} to {target}");
            }
            return 0;
        });
        return command;
    }

    public static Command Inspect()
    {
        var source = new Argument<DirectoryInfo>("dir") { Description = "A model folder (config.json + model.safetensors)." };
        var command = new Command("inspect", "Print a model's config, parameter counts and tensors.") { source };
        command.SetAction(parse =>
        {
            var dir = RequireDirectory(parse.GetRequiredValue(source));
            var config = ElectraConfig.Load(Path.Combine(dir, HfModelDirectory.ConfigFile));
            using var weights = new SafetensorsReader(Path.Combine(dir, HfModelDirectory.WeightsFile));
            ModelSummary.Write(parse.InvocationConfiguration.Output, config, HfModelDirectory.DetectArchitecture(config, weights), weights);
            return 0;
        });
        return command;
    }

    private static string RequireDirectory(DirectoryInfo dir) =>
        dir.Exists ? dir.FullName : throw new DirectoryNotFoundException($"{dir.FullName}: no such folder");
}
