// Fine-tuning on one GLUE task (ELECTRA-REFERENCE §6.1): `[CLS] a [SEP] b [SEP]` inputs of at most max_seq_length
// tokens, the classification head on the final [CLS] state, softmax cross-entropy for classification and, for
// STS-B, squared error against score / 5 with one output (E-cls L267-290). MRPC and STS-B train on both sentence
// orders. Dev predictions are written as a GLUE submission file and scored from exactly those strings with
// GlueEvaluation, so `electralab eval glue` on the file reproduces every number.
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Electra.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning;

public sealed class GlueFinetuner : ISeedFinetuner
{
    /// <summary>STS-B scores are 0-5; the official code regresses on score / 5.</summary>
    public const float StsScale = 5f;

    private readonly GlueTask _task;
    private readonly BackboneSource _source;
    private readonly FinetuningConfig _config;
    private readonly Device _device;
    private readonly int _padId;
    private readonly List<EncodedInput> _train = [];
    private readonly long[] _trainLabels;
    private readonly float[] _trainTargets;
    private readonly List<(GlueData Data, List<EncodedInput> Inputs)> _devs = [];

    public GlueFinetuner(FinetuningTask task, string glueDirectory, BackboneSource source, WordPieceTokenizer tokenizer,
        FinetuningConfig config, Device device, TextWriter? log = null)
    {
        _task = task.Glue ?? throw new ArgumentException($"{task.Name} is not a GLUE task");
        _source = source;
        _config = config;
        _device = device;
        _padId = tokenizer.PadId;
        if (!Directory.Exists(glueDirectory)) throw new DirectoryNotFoundException($"{glueDirectory}: no such GLUE folder");

        // Load every split first, so a missing dev file fails before minutes of encoding.
        var trainData = GlueLoader.Load(_task, glueDirectory, GlueSplit.Train);
        var devData = new List<GlueData> { GlueLoader.Load(_task, glueDirectory, GlueSplit.Dev) };
        if (task.ExtraGlueDev is { } extra && File.Exists(extra.FilePath(glueDirectory, GlueSplit.Dev)))
            devData.Add(GlueLoader.Load(extra, glueDirectory, GlueSplit.Dev));
        foreach (var data in devData.Prepend(trainData))
            if (data.Malformed.Count > 0)
                log?.WriteLine($"warning: {data.Path}: skipped {data.Malformed.Count} malformed rows (first at line {data.Malformed[0].Line}: {data.Malformed[0].Reason})");

        var examples = config.MaxTrainExamples is { } cap ? trainData.Examples.Take(cap).ToList() : trainData.Examples;
        var training = GlueAugmentation.ForTraining(_task, examples);
        var encoder = new GlueEncoder(tokenizer, _task, config.MaxSeqLength);
        _trainLabels = new long[training.Count];
        _trainTargets = new float[training.Count];
        for (int i = 0; i < training.Count; i++)
        {
            var f = encoder.Encode(training[i]);
            _train.Add(EncodedInput.FromPadded(f.InputIds, f.AttentionMask, f.TokenTypeIds));
            _trainLabels[i] = f.LabelId;
            _trainTargets[i] = f.Score / StsScale;
        }
        foreach (var dev in devData)
            _devs.Add((dev, dev.Examples.Select(e => encoder.Encode(e)).Select(f => EncodedInput.FromPadded(f.InputIds, f.AttentionMask, f.TokenTypeIds)).ToList()));

        var summary = new Dictionary<string, long>
        {
            ["train_examples_in_file"] = trainData.Examples.Count,
            ["train_examples_used"] = examples.Count,
            ["train_inputs"] = training.Count,
            ["train_malformed_rows"] = trainData.Malformed.Count,
            ["dev_examples"] = devData[0].Examples.Count,
        };
        foreach (var more in devData.Skip(1)) summary[$"{more.Task.Name}_dev_examples"] = more.Examples.Count;
        DataSummary = summary;
    }

    public string MainMetric => GlueMetrics.Key(GlueScore.HeadlineMetric(_task.Name));

    public IReadOnlyDictionary<string, long> DataSummary { get; }

    /// <summary>The submission file name of a dev set: the GLUE leaderboard's (SST-2.tsv, MNLI-m.tsv, MNLI-mm.tsv, ...).</summary>
    public static string SubmissionFile(GlueTask task) => task.Name + ".tsv";

    public SeedResult RunSeed(long seed, int seedIndex, int seedCount, string outputDir, Action<FinetuningProgress>? progress, CancellationToken cancellation)
    {
        // Seeded head: the same seed gives the same head init, data order and dropout masks.
        manual_seed(seed);
        using var model = new ElectraForSequenceClassification(_source.Config, _task.NumLabels);
        // The init's and the loader's temporaries die here; the model's tensors were created before the scope.
        using (NewDisposeScope())
        {
            ElectraInit.TruncatedNormal(model, _source.Config.InitializerRange);
            _source.LoadInto(model.Backbone);
        }
        model.to(_device);

        var training = FinetuningLoop.Train(model, _config, _train.Count, seed, indices =>
        {
            var (ids, mask, types) = EncodedInput.Batch(indices.Select(i => _train[i]).ToList(), _device, _padId);
            Tensor logits;
            using (MixedPrecision.Use(_config.ComputeDType))
                logits = MixedPrecision.ToFloat(model.Forward(ids, mask, types));  // (B, labels), fp32 for the loss
            if (_task.IsRegression)
            {
                var targets = tensor(indices.Select(i => _trainTargets[i]).ToArray()).to(_device);
                return F.mse_loss(logits.squeeze(-1), targets);              // (B) vs (B): squared error on score / 5
            }
            var labels = tensor(indices.Select(i => _trainLabels[i]).ToArray()).to(_device);
            return F.cross_entropy(logits, labels);
        }, progress, seedIndex, seedCount, cancellation);

        var evalClock = System.Diagnostics.Stopwatch.StartNew();
        var metrics = new Dictionary<string, double?>();
        var files = new List<string>();
        Directory.CreateDirectory(outputDir);
        for (int d = 0; d < _devs.Count; d++)
        {
            var (data, inputs) = _devs[d];
            var predictions = Predict(model, inputs, seed, seedIndex, seedCount, progress, cancellation);
            var file = SubmissionFile(data.Task);
            GlueSubmission.Write(Path.Combine(outputDir, file), data.Examples, predictions);
            files.Add(file);
            var prefix = d == 0 ? "" : data.Task.Name + "/";
            foreach (var (metric, value) in GlueEvaluation.Score(data, predictions))
                metrics[prefix + GlueMetrics.Key(metric)] = value;
        }
        return new SeedResult(seed, metrics, training, evalClock.Elapsed, files);
    }

    /// <summary>Submission strings for every input: label names, or STS-B scores on the 0-5 scale.</summary>
    private List<string> Predict(ElectraForSequenceClassification model, List<EncodedInput> inputs, long seed, int seedIndex, int seedCount,
        Action<FinetuningProgress>? progress, CancellationToken cancellation)
    {
        model.eval();
        var predictions = new List<string>(inputs.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var _ = no_grad();
        for (int start = 0; start < inputs.Count; start += _config.EvalBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var rows = inputs.GetRange(start, Math.Min(_config.EvalBatchSize, inputs.Count - start));
            using var scope = NewDisposeScope();
            var (ids, mask, types) = EncodedInput.Batch(rows, _device, _padId);
            Tensor logits;
            using (MixedPrecision.Use(_config.ComputeDType))
                logits = MixedPrecision.ToFloat(model.Forward(ids, mask, types));  // (B, labels)
            if (_task.IsRegression)
                foreach (var v in logits.squeeze(-1).cpu().data<float>()) predictions.Add(GlueSubmission.Format(v * (double)StsScale));
            else
                foreach (var id in logits.argmax(-1).cpu().data<long>()) predictions.Add(GlueSubmission.Format(_task, (int)id));
        }
        progress?.Invoke(new FinetuningProgress(seed, seedIndex, seedCount, "eval", inputs.Count, inputs.Count, double.NaN, 0,
            inputs.Count / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed));
        return predictions;
    }
}
