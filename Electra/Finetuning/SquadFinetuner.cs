// Fine-tuning on SQuAD 1.1 or 2.0 with Hugging Face's span head (ElectraForQuestionAnswering: one linear layer
// giving start and end logits per position). Inputs are the official sliding windows (SquadFeaturizer:
// max_seq_length 512, doc_stride 128, max_query_length 64); the loss is (CE_start + CE_end) / 2 with windows
// that do not hold the answer, and unanswerable questions, labelled [CLS] (E-qa L352-373). Decoding is the
// official n-best search (n_best_size 20, max_answer_length 30) in SquadDecoder. For 2.0 the null score is
// BERT-style (the decoder's null odds: [CLS] span score minus the best span's), because this head has no
// answerable classifier; the no-answer threshold is the official find_best_thresh on dev (SquadNullThreshold).
// Deviation from ELECTRA's own QA head (joint start→end prediction, answerable classifier, §6.2): noted in the report.
// Dev scoring is SquadDevEvaluation; when asked, the seed's model is kept as an ElectraForQuestionAnswering folder.
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
    private readonly SquadDevEvaluation _dev;
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
        var dev = Check(task, SquadDataset.Load(devPath));
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

        _dev = new SquadDevEvaluation(task, dev, tokenizer, config);
        DataSummary = new Dictionary<string, long>
        {
            ["train_questions"] = train.QuestionCount,
            ["train_questions_skipped"] = trainFeatures.Skipped.Count,
            ["train_features"] = trainFeatures.Features.Count,
            ["dev_questions"] = _dev.QuestionCount,
            ["dev_features"] = _dev.FeatureCount,
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

    internal static SquadDataset Check(FinetuningTask task, SquadDataset dataset)
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

    public SeedResult RunSeed(long seed, int seedIndex, int seedCount, string outputDir, Action<FinetuningProgress>? progress, CancellationToken cancellation,
        string? modelDirectory = null)
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
        var (metrics, files) = _dev.Run(model, _config, _device, outputDir, seed, seedIndex, seedCount, progress, cancellation);
        var evalTime = evalClock.Elapsed;
        if (modelDirectory is not null)
            FinetunedModel.Save(modelDirectory, model, _task, _config, _tokenizer, new FinetunedModelInfo(_task.Name, seed, metrics, files, _source.Path));
        return new SeedResult(seed, metrics, training, evalTime, files);
    }
}
