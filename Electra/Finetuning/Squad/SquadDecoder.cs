// From per-window start/end logits to one answer per question (ELECTRA qa_metrics / BERT write_predictions):
//  - in each window take the n_best (20) highest start and end positions and keep a pair only if both are doc
//    positions of that window, start is not 0 ([CLS]), start is the sub-token's max-context window, end >= start
//    and the span is at most max_answer_length (30) sub-tokens;
//  - rank pairs by start_log_prob + end_log_prob, where the log-softmax runs over the window's allowed
//    positions ([CLS] and the doc tokens; ELECTRA masks the rest with -1000), so scores compare across windows;
//  - turn each into text (WordPiece tokens joined, "##" glued, then `get_final_text` against the original
//    doc tokens), drop duplicate texts and keep the n-best.
// SQuAD 2.0 null score ("null odds", written to na_probs.json; larger = more likely unanswerable):
//  - with an answerable classifier (ELECTRA: answerable_logit per window), the minimum over windows;
//  - otherwise BERT-style on the same log-probabilities: min over windows of (start_lp[CLS] + end_lp[CLS])
//    minus the best non-null span's score. An independent start/end head gets a comparable null score this
//    way without extra parameters.
// The threshold on null odds is chosen on dev with the official `find_best_thresh` (SquadNullThreshold).
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Electra.Finetuning.Squad;

public sealed record SquadDecodeOptions(int NBestSize = 20, int MaxAnswerLength = 30);

/// <summary>One n-best entry: its text and score (start + end log-probability) and softmax probability over the n-best.</summary>
public sealed record SquadCandidate(string Text, double StartLogProb, double EndLogProb, double Probability);

/// <summary>
/// A question's decoded answer: the best non-null text (empty only when no span survived the rules), the
/// n-best list, and for SQuAD 2.0 the null odds (null for 1.1).
/// </summary>
public sealed record SquadAnswerPrediction(string Id, string BestText, IReadOnlyList<SquadCandidate> NBest, double? NullOdds);

public sealed class SquadDecoder(WordPieceTokenizer tokenizer, SquadDecodeOptions options)
{
    /// <summary>Null odds given to a question none of whose spans survived: certainly "no answer".</summary>
    public const double NoSpanNullOdds = 1e6;

    private readonly WordPieceTokenizer _tokenizer = tokenizer;
    private readonly SquadDecodeOptions _options = options;

    /// <param name="startLogits">(F, T) row-major, one row per feature of <paramref name="data"/>, T = its max_seq_length.</param>
    /// <param name="endLogits">(F, T) row-major.</param>
    /// <param name="answerableLogits">(F) answerable-classifier logits (larger = unanswerable), or null.</param>
    /// <param name="v2">Compute null odds (SQuAD 2.0).</param>
    public IReadOnlyList<SquadAnswerPrediction> Decode(SquadFeaturization data, float[] startLogits, float[] endLogits,
        bool v2, float[]? answerableLogits = null)
    {
        var t = data.MaxSeqLength;
        var f = data.Features.Count;
        if (startLogits.Length != f * t || endLogits.Length != f * t)
            throw new ArgumentException($"logits hold {startLogits.Length} and {endLogits.Length} values; {f} features x {t} positions need {f * t}");
        if (answerableLogits is not null && answerableLogits.Length != f)
            throw new ArgumentException($"{answerableLogits.Length} answerable logits for {f} features");

        var byExample = data.Features.Select((feature, row) => (feature, row)).ToLookup(x => x.feature.ExampleIndex);
        var predictions = new List<SquadAnswerPrediction>(data.Examples.Count);
        foreach (var example in data.Examples)
        {
            var candidates = new List<(int Row, SquadFeature Feature, int Start, int End, double StartLp, double EndLp)>();
            var nullScore = double.PositiveInfinity;
            foreach (var (feature, row) in byExample[example.Index])
            {
                var startLp = LogSoftmaxOverAllowed(startLogits.AsSpan(row * t, t), feature);
                var endLp = LogSoftmaxOverAllowed(endLogits.AsSpan(row * t, t), feature);
                var windowNull = answerableLogits is not null ? answerableLogits[row] : startLp[0] + endLp[0];
                nullScore = Math.Min(nullScore, windowNull);
                foreach (var start in TopIndexes(startLp, _options.NBestSize))
                    foreach (var end in TopIndexes(endLp, _options.NBestSize))
                    {
                        if (start == 0 || start >= feature.Tokens.Count || end >= feature.Tokens.Count) continue;
                        if (feature.TokenToOrigMap[start] < 0 || feature.TokenToOrigMap[end] < 0) continue;
                        if (!feature.TokenIsMaxContext[start]) continue;
                        if (end < start || end - start + 1 > _options.MaxAnswerLength) continue;
                        candidates.Add((row, feature, start, end, startLp[start], endLp[end]));
                    }
            }

            // OrderByDescending is stable: equal scores keep window-then-position order, as Python's sorted does.
            var nBest = new List<(string Text, double StartLp, double EndLp)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in candidates.OrderByDescending(c => c.StartLp + c.EndLp))
            {
                if (nBest.Count >= _options.NBestSize) break;
                var text = SpanText(example, c.Feature, c.Start, c.End);
                if (!seen.Add(text)) continue;
                nBest.Add((text, c.StartLp, c.EndLp));
            }

            var probabilities = Softmax(nBest.Select(n => n.StartLp + n.EndLp).ToList());
            var list = nBest.Select((n, i) => new SquadCandidate(n.Text, n.StartLp, n.EndLp, probabilities[i])).ToList();
            var best = list.FirstOrDefault(c => c.Text.Length > 0);
            double? nullOdds = null;
            if (v2)
            {
                if (best is null) nullOdds = NoSpanNullOdds;
                else nullOdds = answerableLogits is not null ? nullScore : nullScore - (best.StartLogProb + best.EndLogProb);
            }
            predictions.Add(new SquadAnswerPrediction(example.Id, best?.Text ?? "", list, nullOdds));
        }
        return predictions;
    }

    /// <summary>
    /// The original-text answer for window positions [start, end]: the WordPiece text (tokens joined, "##" glued,
    /// whitespace collapsed), aligned to the original doc tokens with `get_final_text`.
    /// </summary>
    public string SpanText(SquadExample example, SquadFeature feature, int start, int end)
    {
        var pieces = string.Join(' ', feature.Tokens.Skip(start).Take(end - start + 1));
        pieces = pieces.Replace(" ##", "", StringComparison.Ordinal).Replace("##", "", StringComparison.Ordinal);
        pieces = string.Join(' ', pieces.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var firstWord = feature.TokenToOrigMap[start];
        var lastWord = feature.TokenToOrigMap[end];
        var original = string.Join(' ', example.Document.Tokens.Skip(firstWord).Take(lastWord - firstWord + 1));
        return SquadFinalText.Get(pieces, original, _tokenizer);
    }

    // Allowed positions are [CLS] and the window's doc tokens; everything else gets -inf, as -1000 does in ELECTRA.
    private static double[] LogSoftmaxOverAllowed(ReadOnlySpan<float> logits, SquadFeature feature)
    {
        var result = new double[logits.Length];
        var max = double.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++)
            if (i == 0 || feature.TokenToOrigMap[i] >= 0) max = Math.Max(max, logits[i]);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
            if (i == 0 || feature.TokenToOrigMap[i] >= 0) sum += Math.Exp(logits[i] - max);
        var logSum = max + Math.Log(sum);
        for (var i = 0; i < logits.Length; i++)
            result[i] = i == 0 || feature.TokenToOrigMap[i] >= 0 ? logits[i] - logSum : double.NegativeInfinity;
        return result;
    }

    // `_get_best_indexes`: positions of the n largest values, largest first (stable on ties).
    private static IEnumerable<int> TopIndexes(double[] values, int n) =>
        Enumerable.Range(0, values.Length).Where(i => !double.IsNegativeInfinity(values[i]))
            .OrderByDescending(i => values[i]).Take(n);

    private static double[] Softmax(List<double> scores)
    {
        if (scores.Count == 0) return [];
        var max = scores.Max();
        var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
        var total = exp.Sum();
        return exp.Select(e => e / total).ToArray();
    }
}
