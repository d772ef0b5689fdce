// Fine-tuning on SQuAD 1.1 or 2.0 with Hugging Face's span head (ElectraForQuestionAnswering: one linear layer
// giving start and end logits per position). Inputs are the official sliding windows (SquadFeaturizer:
// max_seq_length 512, doc_stride 128, max_query_length 64); the loss is (CE_start + CE_end) / 2 with windows
// that do not hold the answer, and unanswerable questions, labelled [CLS] (E-qa L352-373). Decoding is the
// official n-best search (n_best_size 20, max_answer_length 30) in SquadDecoder. For 2.0 the null score is
// BERT-style (the decoder's null odds: [CLS] span score minus the best span's), because this head has no
// answerable classifier; the no-answer threshold is the official find_best_thresh on dev (SquadNullThreshold).
// Deviation from ELECTRA's own QA head (joint start→end prediction, answerable classifier, §6.2): noted in the report.
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Electra.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Electra.Finetuning;

public sealed class SquadFinetuner : ISeedFinetuner
{
    public const string PredictionsFile = "predictions.json";
    public const string NaProbsFile = "na_probs.json";
    public const string NBestFile = "nbest_predictions.json";

    /// <summary>Added to the logits of padding positions in the loss, so a batch padded to its longest window trains as one padded to max_seq_length would.</summary>
    private const float PaddingLogit = -10000f;

    private readonly FinetuningTask _task;
    private readonly BackboneSource _source;
    private readonly WordPieceTokenizer _tokenizer;
    private readonly FinetuningConfig _config;
    private readonly Device _device;
    private readonly SquadDataset _dev;
    private readonly SquadFeaturization _devFeatures;
    private readonly List<EncodedInput> _devInputs;
    private readonly List<EncodedInput> _train = [];
    private readonly long[] _trainStart;
    private readonly long[] _trainEnd;

    public SquadFinetuner(FinetuningTask task, string data, BackboneSource source, WordPieceTokenizer tokenizer,
        FinetuningConfig config, Device device, TextWriter? log = null)
    {
        if (!task.IsSquad) throw new ArgumentException($"{task.Name} is not a SQuAD task");
        _task = task;
        _source = source;
        _tokenizer = tokenizer;
        _config = config;
        _device = device;
        var (trainPath, devPath) = Files(task, data, config);
        var train = Check(task, SquadDataset.Load(trainPath));
        _dev = Check(task, SquadDataset.Load(devPath));
        if (config.MaxQueryLength > config.MaxSeqLength - 4)
            throw new ArgumentException($"config key 'max_query_length' ({config.MaxQueryLength}) leaves no room for the document in max_seq_length {config.MaxSeqLength}");

        if (config.MaxTrainExamples is { } cap) train = FirstQuestions(train, cap);
        var featurizer = new SquadFeaturizer(tokenizer, new SquadFeaturizerOptions(config.MaxSeqLength, config.DocStride, config.MaxQueryLength));
        var trainFeatures = featurizer.Featurize(train, training: true);
        if (trainFeatures.Skipped.Count > 0)
            log?.WriteLine($"warning: {trainPath}: skipped {trainFeatures.Skipped.Count} training questions (first {trainFeatures.Skipped[0].Id}: {trainFeatures.Skipped[0].Reason})");
        _trainStart = trainFeatures.Features.Select(f => (long)f.StartPosition).ToArray();
        _trainEnd = trainFeatures.Features.Select(f => (long)f.EndPosition).ToArray();
        foreach (var f in trainFeatures.Features) _train.Add(EncodedInput.FromPadded(f.InputIds, f.AttentionMask, f.TokenTypeIds));

        _devFeatures = featurizer.Featurize(_dev, training: false);
        _devInputs = _devFeatures.Features.Select(f => EncodedInput.FromPadded(f.InputIds, f.AttentionMask, f.TokenTypeIds)).ToList();
        DataSummary = new Dictionary<string, long>
        {
            ["train_questions"] = train.QuestionCount,
            ["train_questions_skipped"] = trainFeatures.Skipped.Count,
            ["train_features"] = trainFeatures.Features.Count,
            ["dev_questions"] = _dev.QuestionCount,
            ["dev_features"] = _devFeatures.Features.Count,
        };
        TrainPath = trainPath;
        DevPath = devPath;
    }

    public string MainMetric => "f1";
    public IReadOnlyDictionary<string, long> DataSummary { get; }
    public string TrainPath { get; }
    public string DevPath { get; }

    /// <summary>
    /// The training and dev files: a folder holds train-v1.1.json/dev-v1.1.json (or -v2.0); a file is the dev set and
    /// training reads train_file. train_file always wins.
    /// </summary>
    public static (string Train, string Dev) Files(FinetuningTask task, string data, FinetuningConfig config)
    {
        var version = task.SquadV2 ? "v2.0" : "v1.1";
        if (Directory.Exists(data))
        {
            var dev = Path.Combine(data, $"dev-{version}.json");
            var train = config.TrainFile ?? Path.Combine(data, $"train-{version}.json");
            if (!File.Exists(dev)) throw new FileNotFoundException($"{data}: no dev-{version}.json (pass the dev file itself as --data, or use --task {(task.SquadV2 ? "squad1" : "squad2")})", dev);
            if (!File.Exists(train)) throw new FileNotFoundException($"{train}: no such SQuAD training file (set train_file)", train);
            return (train, dev);
        }
        if (!File.Exists(data)) throw new FileNotFoundException($"{data}: no such SQuAD file or folder", data);
        if (config.TrainFile is null)
            throw new ArgumentException($"--data {data} is the dev set; name the training file with --set train_file=<train-{version}.json> (or pass a folder holding train-{version}.json and dev-{version}.json)");
        if (!File.Exists(config.TrainFile)) throw new FileNotFoundException($"{config.TrainFile}: no such SQuAD training file (train_file)", config.TrainFile);
        return (config.TrainFile, data);
    }

    private static SquadDataset Check(FinetuningTask task, SquadDataset dataset)
    {
        if (dataset.IsV2 != task.SquadV2)
            throw new InvalidDataException($"{dataset.Path} is SQuAD {(dataset.IsV2 ? "2.0" : "1.1")} (version '{dataset.Version}') but the task is {task.Name}; use --task {(dataset.IsV2 ? "squad2" : "squad1")}");
        return dataset;
    }

    /// <summary>The dataset cut to its first <paramref name="count"/> questions (max_train_examples).</summary>
    private static SquadDataset FirstQuestions(SquadDataset dataset, int count)
    {
        var articles = new List<SquadArticle>();
        int left = count;
        foreach (var article in dataset.Articles)
        {
            if (left <= 0) break;
            var paragraphs = new List<SquadParagraph>();
            foreach (var p in article.Paragraphs)
            {
                if (left <= 0) break;
                var questions = p.Questions.Take(left).ToList();
                left -= questions.Count;
                paragraphs.Add(p with { Questions = questions });
            }
            articles.Add(article with { Paragraphs = paragraphs });
        }
        return new SquadDataset(dataset.Path, dataset.Version, dataset.IsV2, articles);
    }

    public SeedResult RunSeed(long seed, int seedIndex, int seedCount, string outputDir, Action<FinetuningProgress>? progress, CancellationToken cancellation)
    {
        manual_seed(seed);
        using var model = new ElectraForQuestionAnswering(_source.Config);
        // The init's and the loader's temporaries die here; the model's tensors were created before the scope.
        using (NewDisposeScope())
        {
            ElectraInit.TruncatedNormal(model, _source.Config.InitializerRange);
            _source.LoadInto(model.Backbone);
        }
        model.to(_device);

        var training = FinetuningLoop.Train(model, _config, _train.Count, seed, indices =>
        {
            var (ids, mask, types) = EncodedInput.Batch(indices.Select(i => _train[i]).ToList(), _device, _tokenizer.PadId);
            Tensor start, end;
            using (MixedPrecision.Use(_config.ComputeDType))
            {
                var (s16, e16) = model.Forward(ids, mask, types);              // (B, T) each
                (start, end) = (MixedPrecision.ToFloat(s16), MixedPrecision.ToFloat(e16));
            }
            var padding = (1 - mask).to_type(start.dtype) * PaddingLogit;       // (B, T): 0 on tokens, -1e4 on padding
            var startTargets = tensor(indices.Select(i => _trainStart[i]).ToArray()).to(_device);
            var endTargets = tensor(indices.Select(i => _trainEnd[i]).ToArray()).to(_device);
            return (F.cross_entropy(start + padding, startTargets) + F.cross_entropy(end + padding, endTargets)) / 2;
        }, progress, seedIndex, seedCount, cancellation);

        var evalClock = System.Diagnostics.Stopwatch.StartNew();
        var (startLogits, endLogits) = Logits(model, seed, seedIndex, seedCount, progress, cancellation);
        var decoder = new SquadDecoder(_tokenizer, new SquadDecodeOptions(_config.NBestSize, _config.MaxAnswerLength));
        var predictions = decoder.Decode(_devFeatures, startLogits, endLogits, _task.SquadV2);
        var bestNonNull = SquadPredictionFiles.BestNonNull(predictions);

        Directory.CreateDirectory(outputDir);
        var metrics = new Dictionary<string, double?>();
        // ELECTRA's convention: predictions.json holds the best non-null answers and na_probs.json the null odds;
        // the scorer applies the threshold (`eval squad --na-prob na_probs.json --na-prob-thresh <null_threshold>`).
        SquadPredictionFiles.WritePredictions(Path.Combine(outputDir, PredictionsFile), bestNonNull);
        var files = new List<string> { PredictionsFile };
        if (!_task.SquadV2)
        {
            var result = SquadV1Evaluator.Evaluate(_dev.Gold(), bestNonNull);
            metrics["exact_match"] = result.ExactMatch;
            metrics["f1"] = result.F1;
        }
        else
        {
            SquadPredictionFiles.WriteNaProbs(Path.Combine(outputDir, NaProbsFile), predictions);
            files.Add(NaProbsFile);
            var threshold = SquadNullThreshold.ChooseOnDev(_dev, predictions);
            var atThreshold = SquadV2Evaluator.Evaluate(_dev.Gold(), SquadNullThreshold.Apply(predictions, threshold));
            var official = SquadV2Evaluator.Evaluate(_dev.Gold(), bestNonNull, SquadPredictionFiles.NullOdds(predictions));
            // exact/f1/HasAns_*/NoAns_* at the dev-chosen threshold (its f1 equals best_f1), then the official best_* fields.
            foreach (var (key, value) in atThreshold.OfficialFields.Where(f => f.Key != "total" && !f.Key.EndsWith("_total", StringComparison.Ordinal)))
                metrics[key] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (key, value) in official.OfficialFields.Where(f => f.Key.StartsWith("best_", StringComparison.Ordinal)))
                metrics[key] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            metrics["null_threshold"] = threshold;
        }
        return new SeedResult(seed, metrics, training, evalClock.Elapsed, files);
    }

    /// <summary>(F, T) row-major start and end logits for every dev window, T = max_seq_length (padding positions 0: never allowed).</summary>
    private (float[] Start, float[] End) Logits(ElectraForQuestionAnswering model, long seed, int seedIndex, int seedCount,
        Action<FinetuningProgress>? progress, CancellationToken cancellation)
    {
        model.eval();
        int t = _devFeatures.MaxSeqLength;
        var start = new float[_devInputs.Count * t];
        var end = new float[_devInputs.Count * t];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var _ = no_grad();
        for (int first = 0; first < _devInputs.Count; first += _config.EvalBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var rows = _devInputs.GetRange(first, Math.Min(_config.EvalBatchSize, _devInputs.Count - first));
            using var scope = NewDisposeScope();
            var (ids, mask, types) = EncodedInput.Batch(rows, _device, _tokenizer.PadId);
            Tensor s, e;
            using (MixedPrecision.Use(_config.ComputeDType))
            {
                var (s16, e16) = model.Forward(ids, mask, types);              // (B, T_batch) each
                (s, e) = (MixedPrecision.ToFloat(s16), MixedPrecision.ToFloat(e16));
            }
            var width = (int)s.shape[1];
            var sv = s.cpu().data<float>().ToArray();
            var ev = e.cpu().data<float>().ToArray();
            for (int r = 0; r < rows.Count; r++)
            {
                Array.Copy(sv, r * width, start, (first + r) * t, width);
                Array.Copy(ev, r * width, end, (first + r) * t, width);
            }
        }
        progress?.Invoke(new FinetuningProgress(seed, seedIndex, seedCount, "eval", _devInputs.Count, _devInputs.Count, double.NaN, 0,
            _devInputs.Count / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed));
        return (start, end);
    }
}
