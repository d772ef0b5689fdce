// import-hf, export-hf and inspect: moving models between ElectraLab and the Hugging Face format. A folder either
// way is complete: config.json + model.safetensors, the tokenizer files transformers' BertTokenizer/ElectraTokenizer
// read (vocab.txt, tokenizer_config.json with do_lower_case and model_max_length, special_tokens_map.json;
// HfTokenizerFiles), and a fine-tuned model's finetuning.json.
using System.CommandLine;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Modeling;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Cli.Commands;

public static class ModelCommands
{
    public static Command ImportHf()
    {
        var source = new Argument<DirectoryInfo>("dir") { Description = "A Hugging Face ELECTRA folder (config.json + model.safetensors, and its tokenizer files), e.g. a downloaded google/electra-small-discriminator." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Model folder to create (default: ./models/<folder name>).", };
        var tokenizer = new TokenizerOptions();
        var command = new Command("import-hf", "Validate a Hugging Face ELECTRA folder (model and tokenizer) and store it as an ElectraLab model.") { source, output };
        tokenizer.AddTo(command);
        command.SetAction(parse =>
        {
            var dir = RequireDirectory(parse.GetRequiredValue(source));
            var target = parse.GetValue(output)?.FullName ?? Path.Combine("models", new DirectoryInfo(dir).Name);
            Copy(dir, Path.GetFullPath(target), tokenizer.Read(parse), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, "imported");
            parse.InvocationConfiguration.Output.WriteLine($"model folder: {Path.GetFullPath(target)}");
            return 0;
        });
        return command;
    }

    public static Command ExportHf()
    {
        var source = new Argument<DirectoryInfo>("dir") { Description = "An ElectraLab model folder, a fine-tuning output folder (its kept model/), or a pre-training run (its hf/discriminator)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write config.json, model.safetensors and the tokenizer files into.", Required = true };
        var tokenizer = new TokenizerOptions();
        var command = new Command("export-hf", "Write a model as a Hugging Face folder that transformers' from_pretrained loads (model and tokenizer).") { source, output };
        tokenizer.AddTo(command);
        command.SetAction(parse =>
        {
            var dir = ResolveModelFolder(RequireDirectory(parse.GetRequiredValue(source)));
            Copy(dir, parse.GetRequiredValue(output).FullName, tokenizer.Read(parse), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, "exported");
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

    /// <summary>
    /// The Hugging Face folder a path names: the folder itself when it has config.json, a fine-tuning output's kept
    /// model/, or a pre-training run's hf/discriminator.
    /// </summary>
    public static string ResolveModelFolder(string dir)
    {
        if (File.Exists(Path.Combine(dir, HfModelDirectory.ConfigFile))) return dir;
        var kept = Path.Combine(dir, FinetunedModel.FolderName);
        if (File.Exists(Path.Combine(dir, FinetuneResults.FileName)))
            return File.Exists(Path.Combine(kept, HfModelDirectory.ConfigFile))
                ? kept
                : throw new InvalidDataException($"{dir}: this fine-tuning run kept no model ({FinetunedModel.FolderName}/ is missing)");
        var discriminator = Path.Combine(dir, "hf", "discriminator");
        if (File.Exists(Path.Combine(discriminator, HfModelDirectory.ConfigFile))) return discriminator;
        throw new InvalidDataException($"{dir}: not a model folder: expected {HfModelDirectory.ConfigFile} + {HfModelDirectory.WeightsFile}, " +
            $"a fine-tuning output ({FinetuneResults.FileName} + {FinetunedModel.FolderName}/) or a finished pre-training run (hf/discriminator/)");
    }

    /// <summary>
    /// Loads the model (every tensor name and shape checked), reads its tokenizer (the folder's files, then the
    /// options), and writes the complete folder to <paramref name="target"/>.
    /// </summary>
    private static void Copy(string source, string target, TokenizerOverrides overrides, TextWriter output, TextWriter error, string verb)
    {
        var (model, config, architecture) = HfModelDirectory.Load(source);
        using (model)
        {
            var tokenizer = ResolveTokenizer(source, overrides);
            if (tokenizer is not null)
            {
                var wordPiece = tokenizer.CreateTokenizer();
                if (wordPiece.VocabSize > config.VocabSize)
                    throw new InvalidDataException($"{tokenizer.VocabFile}: {wordPiece.VocabSize} tokens, but the model's vocab_size is {config.VocabSize}");
                if (tokenizer.ModelMaxLength > config.MaxPositionEmbeddings)
                    throw new InvalidDataException($"model_max_length {tokenizer.ModelMaxLength} is more than the model's {config.MaxPositionEmbeddings} positions");
            }
            bool sameFolder = Path.GetFullPath(source).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar);
            HfModelDirectory.Save(target, model, config, architecture);
            if (tokenizer is not null) HfTokenizerFiles.Write(target, tokenizer.CreateTokenizer(), tokenizer.ModelMaxLength);
            else if (!sameFolder)
                foreach (var name in HfTokenizerFiles.FileNames) File.Delete(Path.Combine(target, name));
            var info = Path.Combine(source, FinetunedModel.InfoFile);
            if (!sameFolder)
            {
                if (File.Exists(info)) File.Copy(info, Path.Combine(target, FinetunedModel.InfoFile), overwrite: true);
                else File.Delete(Path.Combine(target, FinetunedModel.InfoFile));
            }

            output.WriteLine($"{verb} {architecture} ({ModelSummary.ParameterCount(model):N0} parameters) from {source} to {target}");
            if (tokenizer is not null)
                output.WriteLine($"tokenizer: {HfTokenizerFiles.VocabFile} ({tokenizer.CreateTokenizer().VocabSize:N0} tokens), {tokenizer.Describe()}");
            else
                error.WriteLine($"warning: {source} has no {HfTokenizerFiles.VocabFile}, so {target} has no tokenizer files " +
                                "(AutoTokenizer cannot load it); pass --vocab <vocab.txt> [--do-lower-case true|false] [--model-max-length N]");
        }
    }

    private static HfTokenizerSettings? ResolveTokenizer(string folder, TokenizerOverrides overrides)
    {
        var found = HfTokenizerFiles.Read(folder);
        if (overrides.Vocab is null && found is null)
        {
            if (overrides.LowerCase is not null || overrides.ModelMaxLength is not null)
                throw new UserInputException($"{folder} has no {HfTokenizerFiles.VocabFile}: --do-lower-case and --model-max-length need --vocab");
            return null;
        }
        var settings = found ?? new HfTokenizerSettings(overrides.Vocab!, DoLowerCase: true, StripAccents: true, ModelMaxLength: null);
        if (overrides.Vocab is { } vocab)
        {
            if (!File.Exists(vocab)) throw new FileNotFoundException($"{vocab}: no such vocabulary file (--vocab)", vocab);
            settings = settings with { VocabFile = Path.GetFullPath(vocab) };
        }
        if (overrides.LowerCase is { } lower) settings = settings with { DoLowerCase = lower };
        if (overrides.ModelMaxLength is { } max)
        {
            if (max <= 0) throw new UserInputException($"--model-max-length {max}: must be positive");
            settings = settings with { ModelMaxLength = max };
        }
        return settings;
    }

    private static string RequireDirectory(DirectoryInfo dir) =>
        dir.Exists ? dir.FullName : throw new DirectoryNotFoundException($"{dir.FullName}: no such folder");

    private sealed record TokenizerOverrides(string? Vocab, bool? LowerCase, int? ModelMaxLength);

    /// <summary>Options that give or change a folder's tokenizer; each wins over the folder's own files.</summary>
    private sealed class TokenizerOptions
    {
        private readonly Option<FileInfo> _vocab = new("--vocab") { Description = "The vocab.txt the model was trained with (when the folder has none, or to replace it)." };
        private readonly Option<bool?> _lowerCase = new("--do-lower-case") { Description = "The tokenizer's casing: true (uncased, the default) or false (cased)." };
        private readonly Option<int?> _maxLength = new("--model-max-length") { Description = "The longest input the model was trained on (tokenizer_config.json model_max_length)." };

        public void AddTo(Command command)
        {
            command.Options.Add(_vocab);
            command.Options.Add(_lowerCase);
            command.Options.Add(_maxLength);
        }

        public TokenizerOverrides Read(ParseResult parse) =>
            new(parse.GetValue(_vocab)?.FullName, parse.GetValue(_lowerCase), parse.GetValue(_maxLength));
    }
}
