// Fine-tuning on one GLUE task (ELECTRA-REFERENCE §6.1): `[CLS] a [SEP] b [SEP]` inputs of at most max_seq_length
// tokens, the classification head on the final [CLS] state, softmax cross-entropy for classification and, for
// STS-B, squared error against score / 5 with one output (E-cls L267-290). MRPC and STS-B train on both sentence
// orders. Dev predictions are written as a GLUE submission file and scored from exactly those strings with
// GlueEvaluation (GlueDevEvaluation), so `electralab eval glue` on the file reproduces every number; when asked, the
// seed's model is kept as an ElectraForSequenceClassification folder (FinetunedModel) that `eval model` reruns.
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

    private readonly FinetuningTask _finetuningTask;
    private readonly GlueTask _task;
    private readonly BackboneSource _source;
    private readonly WordPieceTokenizer _tokenizer;
    private readonly FinetuningConfig _config;
    private readonly Device _device;
    private readonly int _padId;
    private readonly List<EncodedInput> _train = [];
    private readonly long[] _trainLabels;
    private readonly float[] _trainTargets;
    private readonly GlueDevEvaluation _dev;

    public GlueFinetuner(FinetuningTask task, string glueDirectory, BackboneSource source, WordPieceTokenizer tokenizer,
        FinetuningConfig config, Device device, TextWriter? log = null)
    {
        _finetuningTask = task;
        _task = task.Glue ?? throw new ArgumentException($"{task.Name} is not a GLUE task");
        _source = source;
        _tokenizer = tokenizer;
        _config = config;
        _device = device;
        _padId = tokenizer.PadId;
        if (!Directory.Exists(glueDirectory)) throw new DirectoryNotFoundException($"{glueDirectory}: no such GLUE folder");

        // Load every split first, so a missing dev file fails before minutes of encoding.
        var trainData = GlueLoader.Load(_task, glueDirectory, GlueSplit.Train);
        GlueDevEvaluation.WarnMalformed(trainData, log);
        var devData = GlueDevEvaluation.LoadDevs(task, glueDirectory, log);

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
        _dev = new GlueDevEvaluation(_task, devData, tokenizer, config.MaxSeqLength);

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

    /// <summary>
    /// The training loss of one batch: softmax cross-entropy against (B) int64 labels, or, for regression (STS-B),
    /// squared error of the one output against (B) float targets (score / 5). The forward runs in
    /// <paramref name="computeDType"/> (bf16-mixed) or fp32; the logits are cast to fp32 for the loss.
    /// </summary>
    public static Tensor BatchLoss(ElectraForSequenceClassification model, Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds,
        Tensor targets, bool regression, ScalarType? computeDType)
    {
        Tensor logits;
        using (MixedPrecision.Use(computeDType))
            logits = MixedPrecision.ToFloat(model.Forward(inputIds, attentionMask, tokenTypeIds));  // (B, labels), fp32 for the loss
        return regression
            ? F.mse_loss(logits.squeeze(-1), targets)                        // (B) vs (B): squared error on score / 5
            : F.cross_entropy(logits, targets);
    }

    public SeedResult RunSeed(long seed, int seedIndex, int seedCount, string outputDir, Action<FinetuningProgress>? progress, CancellationToken cancellation,
        string? modelDirectory = null)
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
            var targets = _task.IsRegression
                ? tensor(indices.Select(i => _trainTargets[i]).ToArray()).to(_device)
                : tensor(indices.Select(i => _trainLabels[i]).ToArray()).to(_device);
            return BatchLoss(model, ids, mask, types, targets, _task.IsRegression, _config.ComputeDType);
        }, progress, seedIndex, seedCount, cancellation);

        var evalClock = System.Diagnostics.Stopwatch.StartNew();
        var (metrics, files) = _dev.Run(model, _config, _device, outputDir, seed, seedIndex, seedCount, progress, cancellation);
        var evalTime = evalClock.Elapsed;
        if (modelDirectory is not null)
            FinetunedModel.Save(modelDirectory, model, _finetuningTask, _config, _tokenizer, new FinetunedModelInfo(_finetuningTask.Name, seed, metrics, files, _source.Path));
        return new SeedResult(seed, metrics, training, evalTime, files);
    }
}
