// Scoring a span model on a SQuAD dev set: the official sliding windows, start/end logits for every window, the
// official n-best decoding, the prediction files and the official metrics. Fine-tuning runs it on each seed right
// after training, and `electralab eval model` runs it on a kept ElectraForQuestionAnswering reloaded from its
// Hugging Face folder, so both write the same predictions.json / na_probs.json from the same windows and batches.
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Electra.Modeling;
using static TorchSharp.torch;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Electra.Finetuning;

public sealed class SquadDevEvaluation
{
    private readonly FinetuningTask _task;
    private readonly WordPieceTokenizer _tokenizer;
    private readonly SquadDataset _dev;
    private readonly SquadFeaturization _features;
    private readonly List<EncodedInput> _inputs;

    public SquadDevEvaluation(FinetuningTask task, SquadDataset dev, WordPieceTokenizer tokenizer, FinetuningConfig config)
    {
        if (!task.IsSquad) throw new ArgumentException($"{task.Name} is not a SQuAD task");
        if (config.MaxQueryLength > config.MaxSeqLength - 4)
            throw new ArgumentException($"config key 'max_query_length' ({config.MaxQueryLength}) leaves no room for the document in max_seq_length {config.MaxSeqLength}");
        _task = task;
        _tokenizer = tokenizer;
        _dev = dev;
        var featurizer = new SquadFeaturizer(tokenizer, new SquadFeaturizerOptions(config.MaxSeqLength, config.DocStride, config.MaxQueryLength));
        _features = featurizer.Featurize(dev, training: false);
        _inputs = _features.Features.Select(f => EncodedInput.FromPadded(f.InputIds, f.AttentionMask, f.TokenTypeIds)).ToList();
    }

    public int QuestionCount => _dev.QuestionCount;
    public int FeatureCount => _inputs.Count;

    /// <summary>The dev file of <paramref name="data"/>: a folder's dev-v1.1.json / dev-v2.0.json, or the file itself.</summary>
    public static string DevFile(FinetuningTask task, string data)
    {
        if (!Directory.Exists(data))
            return File.Exists(data) ? data : throw new FileNotFoundException($"{data}: no such SQuAD file or folder", data);
        var dev = Path.Combine(data, $"dev-{(task.SquadV2 ? "v2.0" : "v1.1")}.json");
        return File.Exists(dev) ? dev : throw new FileNotFoundException($"{data}: no {Path.GetFileName(dev)} (pass the dev file itself)", dev);
    }

    /// <summary>Predicts, decodes, writes predictions.json (and na_probs.json for 2.0) into <paramref name="outputDir"/>, and scores.</summary>
    public (Dictionary<string, double?> Metrics, List<string> Files) Run(ElectraForQuestionAnswering model, FinetuningConfig config, Device device,
        string outputDir, long seed = 0, int seedIndex = 0, int seedCount = 1, Action<FinetuningProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        var (startLogits, endLogits) = Logits(model, config, device, seed, seedIndex, seedCount, progress, cancellation);
        var decoder = new SquadDecoder(_tokenizer, new SquadDecodeOptions(config.NBestSize, config.MaxAnswerLength));
        var predictions = decoder.Decode(_features, startLogits, endLogits, _task.SquadV2);
        var bestNonNull = SquadPredictionFiles.BestNonNull(predictions);

        Directory.CreateDirectory(outputDir);
        var metrics = new Dictionary<string, double?>();
        // ELECTRA's convention: predictions.json holds the best non-null answers and na_probs.json the null odds;
        // the scorer applies the threshold (`eval squad --na-prob na_probs.json --na-prob-thresh <null_threshold>`).
        SquadPredictionFiles.WritePredictions(Path.Combine(outputDir, SquadFinetuner.PredictionsFile), bestNonNull);
        var files = new List<string> { SquadFinetuner.PredictionsFile };
        if (!_task.SquadV2)
        {
            var result = SquadV1Evaluator.Evaluate(_dev.Gold(), bestNonNull);
            metrics["exact_match"] = result.ExactMatch;
            metrics["f1"] = result.F1;
        }
        else
        {
            SquadPredictionFiles.WriteNaProbs(Path.Combine(outputDir, SquadFinetuner.NaProbsFile), predictions);
            files.Add(SquadFinetuner.NaProbsFile);
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
        return (metrics, files);
    }

    /// <summary>(F, T) row-major start and end logits for every dev window, T = max_seq_length (padding positions 0: never allowed).</summary>
    private (float[] Start, float[] End) Logits(ElectraForQuestionAnswering model, FinetuningConfig config, Device device, long seed, int seedIndex,
        int seedCount, Action<FinetuningProgress>? progress, CancellationToken cancellation)
    {
        model.eval();
        int t = _features.MaxSeqLength;
        var start = new float[_inputs.Count * t];
        var end = new float[_inputs.Count * t];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var _ = no_grad();
        for (int first = 0; first < _inputs.Count; first += config.EvalBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var rows = _inputs.GetRange(first, Math.Min(config.EvalBatchSize, _inputs.Count - first));
            using var scope = NewDisposeScope();
            var (ids, mask, types) = EncodedInput.Batch(rows, device, _tokenizer.PadId);
            Tensor s, e;
            using (MixedPrecision.Use(config.ComputeDType))
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
        progress?.Invoke(new FinetuningProgress(seed, seedIndex, seedCount, "eval", _inputs.Count, _inputs.Count, double.NaN, 0,
            _inputs.Count / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed));
        return (start, end);
    }
}
