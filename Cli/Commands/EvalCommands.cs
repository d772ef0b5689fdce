// `electralab eval glue|squad`: score a prediction file with the official metrics and print one JSON object.
// GLUE prints the task's metrics as fractions under accuracy / f1 / matthews_correlation / pearson / spearmanr;
// SQuAD prints exactly what the official evaluate-v1.1.py or evaluate-v2.0.py prints for the dataset's version.
// `electralab eval model`: run a kept fine-tuned model (a Hugging Face folder with its tokenizer) on its task's dev
// set, write the prediction files fine-tuning writes, and print the dev metrics.
// `electralab eval tokens`: the exact inputs a kept GLUE model is fed for its dev set (EvalTokensCommand.cs).
using System.CommandLine;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Cli.Commands;

public static class EvalCommands
{
    public static Command Create() => new("eval", "Score predictions with the official GLUE and SQuAD metrics, or run a fine-tuned model on dev.") { Glue(), Squad(), Model(), EvalTokensCommand.Create() };

    private static Command Glue()
    {
        var task = new Option<string>("--task") { Description = "CoLA, SST-2, MRPC, STS-B, QQP, MNLI-m, MNLI-mm, QNLI, RTE or WNLI.", Required = true };
        var dataDir = new Option<DirectoryInfo>("--data-dir") { Description = "The GLUE folder (holding CoLA/, SST-2/, ...).", Required = true };
        var predictions = new Option<FileInfo>("--predictions") { Description = "A submission file: header index<TAB>prediction, one row per dev example in file order, indexed 0..N-1 (or by the dev file's own index/id column).", Required = true };
        var command = new Command("glue", "Score a GLUE dev-set submission file; prints the task's metrics as JSON (fractions).") { task, dataDir, predictions };
        command.SetAction(parse =>
        {
            var glueTask = GlueTasks.Get(parse.GetRequiredValue(task));
            var folder = parse.GetRequiredValue(dataDir);
            if (!folder.Exists) throw new DirectoryNotFoundException($"{folder.FullName}: no such folder");
            var dev = GlueLoader.Load(glueTask, folder.FullName, GlueSplit.Dev);
            if (dev.Malformed.Count > 0)
                parse.InvocationConfiguration.Error.WriteLine($"warning: {dev.Path}: skipped {dev.Malformed.Count} malformed rows (first at line {dev.Malformed[0].Line}: {dev.Malformed[0].Reason})");
            var file = parse.GetRequiredValue(predictions).FullName;
            var metrics = GlueEvaluation.ScoreSubmission(dev, GlueSubmission.Read(file), file);
            parse.InvocationConfiguration.Output.WriteLine(PythonJson.Dumps(
                metrics.Select(m => new KeyValuePair<string, object?>(GlueMetrics.Key(m.Key), m.Value)).ToList()));
            return 0;
        });
        return command;
    }

    private static Command Model()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "A fine-tuned model: its Hugging Face folder, or the fine-tuning output folder that kept it (model/).", Required = true };
        var data = new Option<string>("--data") { Description = "GLUE: the GLUE folder. SQuAD: the dev JSON or a folder with dev-v1.1.json / dev-v2.0.json.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the prediction files (GLUE <TASK>.tsv; SQuAD predictions.json, na_probs.json).", Required = true };
        var task = new Option<string>("--task") { Description = "The task, for a folder without finetuning.json (fine-tuned elsewhere)." };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto (default: the device it was fine-tuned with)." };
        var sets = new Option<string[]>("--set") { Description = "Override one fine-tuning config key (eval_batch_size, max_seq_length, ...).", AllowMultipleArgumentsPerToken = false };
        var logits = new Option<bool>("--logits") { Description = "GLUE: also write <TASK>.logits.tsv, the classifier's raw outputs per dev example (for comparing implementations)." };
        var command = new Command("model", "Run a kept fine-tuned model on its task's dev set: write the prediction files and print the dev metrics as JSON.")
        {
            model, data, output, task, device, sets, logits,
        };
        command.SetAction((parse, cancellation) =>
        {
            var given = parse.GetRequiredValue(model);
            if (!given.Exists) throw new DirectoryNotFoundException($"{given.FullName}: no such folder");
            var folder = ModelCommands.ResolveModelFolder(given.FullName);
            using var loaded = FinetunedModel.Open(folder, parse.GetValue(task), parse.GetValue(sets) ?? []);
            var outDir = parse.GetRequiredValue(output).FullName;
            var (metrics, _) = FinetunedModel.EvaluateDev(loaded, Path.GetFullPath(parse.GetRequiredValue(data)), outDir,
                parse.GetValue(device), parse.InvocationConfiguration.Error, cancellation, parse.GetValue(logits));
            parse.InvocationConfiguration.Output.WriteLine(PythonJson.Dumps(
                metrics.Select(m => new KeyValuePair<string, object?>(m.Key, m.Value)).ToList()));
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command Squad()
    {
        var dataset = new Option<FileInfo>("--dataset") { Description = "The SQuAD dev JSON (v1.1 or v2.0; the version field picks the scorer).", Required = true };
        var predictions = new Option<FileInfo>("--predictions") { Description = "predictions.json: {question id: answer text}.", Required = true };
        var naProb = new Option<FileInfo>("--na-prob") { Description = "na_probs.json (SQuAD 2.0): {question id: no-answer score}; adds the best_* fields." };
        var threshold = new Option<double>("--na-prob-thresh") { Description = "Predict \"\" where the no-answer score exceeds this (SQuAD 2.0).", DefaultValueFactory = _ => 1.0 };
        var command = new Command("squad", "Score SQuAD predictions; prints what the official evaluation script prints.") { dataset, predictions, naProb, threshold };
        command.SetAction(parse =>
        {
            var gold = SquadDataset.Load(parse.GetRequiredValue(dataset).FullName);
            var answers = SquadPredictionFiles.ReadPredictions(parse.GetRequiredValue(predictions).FullName);
            var output = parse.InvocationConfiguration.Output;
            if (!gold.IsV2)
            {
                if (parse.GetValue(naProb) is not null) throw new UserInputException($"--na-prob is for SQuAD 2.0, but {gold.Path} is version '{gold.Version}'");
                var v1 = SquadV1Evaluator.Evaluate(gold.Gold(), answers);
                // As evaluate-v1.1.py: a missing answer scores 0 and is reported on stderr, not an error.
                foreach (var id in v1.Unanswered) parse.InvocationConfiguration.Error.WriteLine($"Unanswered question {id} will receive score 0.");
                output.WriteLine(v1.ToOfficialJson());
                return 0;
            }
            var probabilities = parse.GetValue(naProb) is { } file ? SquadPredictionFiles.ReadNaProbs(file.FullName) : null;
            output.WriteLine(SquadV2Evaluator.Evaluate(gold.Gold(), answers, probabilities, parse.GetValue(threshold)).ToOfficialJson());
            return 0;
        });
        return command;
    }
}
