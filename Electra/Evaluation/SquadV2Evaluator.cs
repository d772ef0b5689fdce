// evaluate-v2.0.py: raw EM/F1 per question (gold answers that normalise to nothing are dropped; a question
// without answers has gold [""]), then the no-answer threshold (na_prob > thresh predicts ""), totals with
// HasAns_/NoAns_ breakdowns, and with na_probs the best threshold for EM and for F1 (`find_best_thresh`).
namespace ElectraLab.Electra.Evaluation;

public sealed record SquadV2Breakdown(double Exact, double F1, int Total);

public sealed record SquadV2BestThreshold(double BestExact, double BestExactThreshold, double BestF1, double BestF1Threshold);

public sealed record SquadV2Result(
    SquadV2Breakdown All, SquadV2Breakdown? HasAnswer, SquadV2Breakdown? NoAnswer, SquadV2BestThreshold? Best)
{
    /// <summary>The official script's output object, in its key order.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> OfficialFields
    {
        get
        {
            var fields = new List<KeyValuePair<string, object?>> { new("exact", All.Exact), new("f1", All.F1), new("total", All.Total) };
            if (HasAnswer is { } has)
                fields.AddRange([new("HasAns_exact", has.Exact), new("HasAns_f1", has.F1), new("HasAns_total", has.Total)]);
            if (NoAnswer is { } no)
                fields.AddRange([new("NoAns_exact", no.Exact), new("NoAns_f1", no.F1), new("NoAns_total", no.Total)]);
            if (Best is { } best)
                fields.AddRange([new("best_exact", best.BestExact), new("best_exact_thresh", best.BestExactThreshold),
                    new("best_f1", best.BestF1), new("best_f1_thresh", best.BestF1Threshold)]);
            return fields;
        }
    }

    /// <summary>Exactly what `python evaluate-v2.0.py` prints (json.dumps with indent=2).</summary>
    public string ToOfficialJson() => PythonJson.Dumps(OfficialFields, indent: 2);
}

public static class SquadV2Evaluator
{
    /// <param name="naProbs">No-answer scores in file order (the order breaks ties in find_best_thresh), or null
    /// when no na_prob file was given; then every score is 0 and no best_* fields are reported.</param>
    public static SquadV2Result Evaluate(IReadOnlyList<SquadGold> gold, IReadOnlyDictionary<string, string> predictions,
        IReadOnlyList<KeyValuePair<string, double>>? naProbs = null, double naProbThreshold = 1.0)
    {
        if (gold.Count == 0) throw new InvalidDataException("the dataset has no questions");
        // The official script drops a missing id from the totals and then fails with a KeyError in the
        // breakdown, so it never reports a score for an incomplete file; neither does this.
        foreach (var question in gold)
            if (!predictions.ContainsKey(question.Id))
                throw new InvalidDataException($"the predictions have no answer for question {question.Id} (SQuAD 2.0 needs every question)");

        var probabilities = naProbs is null
            ? predictions.Keys.Select(k => new KeyValuePair<string, double>(k, 0.0)).ToList()
            : naProbs.ToList();
        var probabilityOf = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (id, p) in probabilities) probabilityOf[id] = p;

        var exactRaw = new Dictionary<string, double>(StringComparer.Ordinal);
        var f1Raw = new Dictionary<string, double>(StringComparer.Ordinal);
        var hasAnswer = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var question in gold)
        {
            hasAnswer[question.Id] = question.Answers.Count > 0;
            var answers = question.Answers.Where(a => SquadAnswerText.Normalize(a).Length > 0).ToList();
            if (answers.Count == 0) answers.Add("");
            var predicted = predictions[question.Id];
            exactRaw[question.Id] = answers.Max(a => SquadAnswerScores.ExactMatch(a, predicted) ? 1.0 : 0.0);
            f1Raw[question.Id] = answers.Max(a => SquadAnswerScores.F1V2(a, predicted));
        }

        var ids = gold.Select(q => q.Id).Distinct().ToList();
        var exact = ApplyThreshold(exactRaw, ids, probabilityOf, hasAnswer, naProbThreshold);
        var f1 = ApplyThreshold(f1Raw, ids, probabilityOf, hasAnswer, naProbThreshold);
        var hasIds = ids.Where(id => hasAnswer[id]).ToList();
        var noIds = ids.Where(id => !hasAnswer[id]).ToList();
        SquadV2BestThreshold? best = null;
        if (naProbs is not null)
        {
            var (bestExact, exactThreshold) = FindBestThreshold(predictions, exactRaw, probabilities, hasAnswer);
            var (bestF1, f1Threshold) = FindBestThreshold(predictions, f1Raw, probabilities, hasAnswer);
            best = new SquadV2BestThreshold(bestExact, exactThreshold, bestF1, f1Threshold);
        }
        return new SquadV2Result(Totals(exact, f1, ids), hasIds.Count > 0 ? Totals(exact, f1, hasIds) : null,
            noIds.Count > 0 ? Totals(exact, f1, noIds) : null, best);
    }

    /// <summary>
    /// `find_best_thresh`: start from "predict no answer everywhere" (all NoAns questions right), then walk the
    /// questions in increasing na_prob order, answering one more each step, and keep the best running score and
    /// the na_prob where it was reached. Returns the percent score and that threshold.
    /// </summary>
    public static (double Score, double Threshold) FindBestThreshold(IReadOnlyDictionary<string, string> predictions,
        IReadOnlyDictionary<string, double> rawScores, IReadOnlyList<KeyValuePair<string, double>> naProbs,
        IReadOnlyDictionary<string, bool> hasAnswer)
    {
        double current = hasAnswer.Values.Count(h => !h);
        var bestScore = current;
        var bestThreshold = 0.0;
        // OrderBy is stable, like Python's sorted, so equal probabilities keep file order.
        foreach (var (id, probability) in naProbs.OrderBy(kv => kv.Value))
        {
            if (!rawScores.TryGetValue(id, out var score)) continue;
            double change = hasAnswer[id] ? score : predictions[id].Length > 0 ? -1 : 0;
            current += change;
            if (current > bestScore)
            {
                bestScore = current;
                bestThreshold = probability;
            }
        }
        return (100.0 * bestScore / rawScores.Count, bestThreshold);
    }

    private static Dictionary<string, double> ApplyThreshold(Dictionary<string, double> raw, List<string> ids,
        Dictionary<string, double> probabilityOf, Dictionary<string, bool> hasAnswer, double threshold)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (!probabilityOf.TryGetValue(id, out var probability))
                throw new InvalidDataException($"the na_prob file has no value for question {id}");
            result[id] = probability > threshold ? (hasAnswer[id] ? 0.0 : 1.0) : raw[id];
        }
        return result;
    }

    private static SquadV2Breakdown Totals(Dictionary<string, double> exact, Dictionary<string, double> f1, List<string> ids)
    {
        double exactSum = 0, f1Sum = 0;
        foreach (var id in ids)
        {
            exactSum += exact[id];
            f1Sum += f1[id];
        }
        return new SquadV2Breakdown(100.0 * exactSum / ids.Count, 100.0 * f1Sum / ids.Count, ids.Count);
    }
}
