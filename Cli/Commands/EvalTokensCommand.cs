// `electralab eval tokens --model DIR --data GLUE --out ids.jsonl`: the exact inputs a kept GLUE model is given for its
// dev set, one JSON line per example in file order: {"task", "index", "text_a", "text_b", "input_ids", "token_type_ids",
// "attention_mask"}, the texts as read from the dev file and the arrays unpadded ([CLS] a [SEP] (b [SEP]), truncated to the max_seq_length it was fine-tuned with). They come from the
// fine-tuning encoder itself (GlueEncoder, the code `eval model` and fine-tuning run), so another tokenizer —
// Hugging Face's, in tools/hf-parity — can be checked against what ElectraLab's model actually saw.
using System.CommandLine;
using System.Text;
using System.Text.Json;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Finetuning.Glue;

namespace ElectraLab.Cli.Commands;

public static class EvalTokensCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "A fine-tuned GLUE model: its Hugging Face folder, or the fine-tuning output folder that kept it (model/).", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "The GLUE folder (holding SST-2/, MRPC/, ...).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The JSON-lines file to write.", Required = true };
        var task = new Option<string>("--task") { Description = "The task, for a folder without finetuning.json (fine-tuned elsewhere)." };
        var sets = new Option<string[]>("--set") { Description = "Override one fine-tuning config key (max_seq_length, do_lower_case, ...).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("tokens", "Write the input ids, token type ids and attention masks a kept GLUE model is fed for its dev set (JSON lines).")
        {
            model, data, output, task, sets,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetRequiredValue(model);
            if (!given.Exists) throw new DirectoryNotFoundException($"{given.FullName}: no such folder");
            using var loaded = FinetunedModel.Open(ModelCommands.ResolveModelFolder(given.FullName), parse.GetValue(task), parse.GetValue(sets) ?? []);
            var glue = loaded.Task.Glue ?? throw new UserInputException($"{loaded.Task.Name} is not a GLUE task; eval tokens writes GLUE inputs");
            var devs = GlueDevEvaluation.LoadDevs(loaded.Task, Path.GetFullPath(parse.GetRequiredValue(data).FullName), parse.InvocationConfiguration.Error);
            // The tokenizer and max_seq_length `eval model` uses for this folder (its tokenizer files, then finetuning.json).
            var encoder = new GlueEncoder(loaded.Tokenizer.CreateTokenizer(), glue, loaded.Config.MaxSeqLength);
            var path = parse.GetRequiredValue(output).FullName;
            var rows = 0;
            using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)))
            {
                foreach (var dev in devs)
                    for (int i = 0; i < dev.Examples.Count; i++)
                    {
                        writer.Write(Line(dev.Task.Name, i, dev.Examples[i], encoder.Encode(dev.Examples[i])));
                        writer.Write('\n');
                        rows++;
                    }
            }
            parse.InvocationConfiguration.Output.WriteLine(
                $"{rows} dev examples of {string.Join(", ", devs.Select(d => d.Task.Name))} (max_seq_length {encoder.MaxSeqLength}) in {path}");
            return 0;
        });
        return command;
    }

    /// <summary>One example's JSON line: the unpadded prefix of the encoder's padded arrays (where the mask is 1).</summary>
    public static string Line(string task, int index, GlueExample example, GlueFeatures features)
    {
        var length = Array.IndexOf(features.AttentionMask, 0L) is var n and >= 0 ? n : features.AttentionMask.Length;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["task"] = task,
            ["index"] = index,
            ["text_a"] = example.TextA,
            ["text_b"] = example.TextB!,
            ["input_ids"] = features.InputIds[..length],
            ["token_type_ids"] = features.TokenTypeIds[..length],
            ["attention_mask"] = features.AttentionMask[..length],
        });
    }
}
