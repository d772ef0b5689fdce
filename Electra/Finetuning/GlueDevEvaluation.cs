// Scoring a sequence classifier on a GLUE task's dev set(s): the one path both fine-tuning (each seed, right after
// training) and a kept model reloaded from its Hugging Face folder (`electralab eval model`) run, so the reloaded
// model writes the same submission file from the same inputs, batches and label names.
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Electra.Modeling;
using static TorchSharp.torch;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning;

public sealed class GlueDevEvaluation
{
    private readonly GlueTask _task;
    private readonly List<(GlueData Data, List<EncodedInput> Inputs)> _devs = [];
    private readonly int _padId;

    /// <param name="devs">The main dev set first (MNLI-m), then any extra one (MNLI-mm).</param>
    public GlueDevEvaluation(GlueTask task, IReadOnlyList<GlueData> devs, WordPieceTokenizer tokenizer, int maxSeqLength)
    {
        _task = task;
        _padId = tokenizer.PadId;
        var encoder = new GlueEncoder(tokenizer, task, maxSeqLength);
        foreach (var dev in devs)
            _devs.Add((dev, dev.Examples.Select(e => encoder.Encode(e)).Select(f => EncodedInput.FromPadded(f.InputIds, f.AttentionMask, f.TokenTypeIds)).ToList()));
    }

    /// <summary>The task's dev set and, for MNLI, MNLI-mm's when the file is there; malformed rows are reported to <paramref name="log"/>.</summary>
    public static IReadOnlyList<GlueData> LoadDevs(FinetuningTask task, string glueDirectory, TextWriter? log)
    {
        var glue = task.Glue ?? throw new ArgumentException($"{task.Name} is not a GLUE task");
        if (!Directory.Exists(glueDirectory)) throw new DirectoryNotFoundException($"{glueDirectory}: no such GLUE folder");
        var devs = new List<GlueData> { GlueLoader.Load(glue, glueDirectory, GlueSplit.Dev) };
        if (task.ExtraGlueDev is { } extra && File.Exists(extra.FilePath(glueDirectory, GlueSplit.Dev)))
            devs.Add(GlueLoader.Load(extra, glueDirectory, GlueSplit.Dev));
        foreach (var data in devs) WarnMalformed(data, log);
        return devs;
    }

    public static void WarnMalformed(GlueData data, TextWriter? log)
    {
        if (data.Malformed.Count > 0)
            log?.WriteLine($"warning: {data.Path}: skipped {data.Malformed.Count} malformed rows (first at line {data.Malformed[0].Line}: {data.Malformed[0].Reason})");
    }

    public IReadOnlyList<GlueData> Devs => _devs.Select(d => d.Data).ToList();

    /// <summary>
    /// Predicts every dev set, writes each as a GLUE submission file (<see cref="GlueFinetuner.SubmissionFile"/>) into
    /// <paramref name="outputDir"/> and scores it. Metric keys of an extra dev set carry its name ("MNLI-mm/accuracy").
    /// <paramref name="labelNames"/> are the classifier's outputs in id order (default: the task's label list).
    /// </summary>
    public (Dictionary<string, double?> Metrics, List<string> Files) Run(ElectraForSequenceClassification model, FinetuningConfig config, Device device,
        string outputDir, long seed = 0, int seedIndex = 0, int seedCount = 1, Action<FinetuningProgress>? progress = null,
        CancellationToken cancellation = default, IReadOnlyList<string>? labelNames = null, bool writeLogits = false)
    {
        var metrics = new Dictionary<string, double?>();
        var files = new List<string>();
        Directory.CreateDirectory(outputDir);
        for (int d = 0; d < _devs.Count; d++)
        {
            var (data, inputs) = _devs[d];
            var logits = writeLogits ? new List<float[]>(inputs.Count) : null;
            var predictions = Predict(model, inputs, config, device, labelNames ?? _task.Labels, seed, seedIndex, seedCount, progress, cancellation, logits);
            var file = GlueFinetuner.SubmissionFile(data.Task);
            GlueSubmission.Write(Path.Combine(outputDir, file), data.Examples, predictions);
            files.Add(file);
            if (logits is not null)
            {
                var logitsFile = LogitsFile(data.Task);
                GlueLogitsFile.Write(Path.Combine(outputDir, logitsFile), logits);
                files.Add(logitsFile);
            }
            var prefix = d == 0 ? "" : data.Task.Name + "/";
            foreach (var (metric, value) in GlueEvaluation.Score(data, predictions))
                metrics[prefix + GlueMetrics.Key(metric)] = value;
        }
        return (metrics, files);
    }

    /// <summary>`&lt;TASK&gt;.logits.tsv`: the classifier's raw outputs per dev example, written beside the submission file on request.</summary>
    public static string LogitsFile(GlueTask task) => task.Name + ".logits.tsv";

    /// <summary>(B, labels) fp32 logits of one evaluation batch; call under no_grad with the model in eval mode.</summary>
    public static Tensor Logits(ElectraForSequenceClassification model, Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, ScalarType? computeDType)
    {
        using (MixedPrecision.Use(computeDType))
            return MixedPrecision.ToFloat(model.Forward(inputIds, attentionMask, tokenTypeIds));
    }

    /// <summary>
    /// Submission strings for every input: label names, or STS-B scores on the 0-5 scale. <paramref name="logits"/>, when
    /// given, receives each row's raw outputs (the values the argmax or the STS-B scale were taken from).
    /// </summary>
    private List<string> Predict(ElectraForSequenceClassification model, List<EncodedInput> inputs, FinetuningConfig config, Device device,
        IReadOnlyList<string> labelNames, long seed, int seedIndex, int seedCount, Action<FinetuningProgress>? progress, CancellationToken cancellation,
        List<float[]>? logits = null)
    {
        model.eval();
        var predictions = new List<string>(inputs.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var _ = no_grad();
        for (int start = 0; start < inputs.Count; start += config.EvalBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var rows = inputs.GetRange(start, Math.Min(config.EvalBatchSize, inputs.Count - start));
            using var scope = NewDisposeScope();
            var (ids, mask, types) = EncodedInput.Batch(rows, device, _padId);
            var output = Logits(model, ids, mask, types, config.ComputeDType);  // (B, labels)
            if (logits is not null)
            {
                var values = output.cpu().data<float>().ToArray();
                var width = (int)output.shape[1];
                for (int r = 0; r < rows.Count; r++) logits.Add(values.AsSpan(r * width, width).ToArray());
            }
            if (_task.IsRegression)
                foreach (var v in output.squeeze(-1).cpu().data<float>()) predictions.Add(GlueSubmission.Format(v * (double)GlueFinetuner.StsScale));
            else
                foreach (var id in output.argmax(-1).cpu().data<long>()) predictions.Add(labelNames[(int)id]);
        }
        progress?.Invoke(new FinetuningProgress(seed, seedIndex, seedCount, "eval", inputs.Count, inputs.Count, double.NaN, 0,
            inputs.Count / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed));
        return predictions;
    }
}
