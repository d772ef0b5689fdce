// evaluate-v1.1.py: EM and F1 as the maximum over the gold answers, in percent, over every question in the
// dataset. A question without a prediction scores 0 and still counts (the official script only warns).
namespace ElectraLab.Electra.Evaluation;

public sealed record SquadV1Result(double ExactMatch, double F1, IReadOnlyList<string> Unanswered)
{
    /// <summary>The official script's output object, in its key order.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> OfficialFields =>
        [new("exact_match", ExactMatch), new("f1", F1)];

    /// <summary>Exactly what `python evaluate-v1.1.py` prints (json.dumps without indent).</summary>
    public string ToOfficialJson() => PythonJson.Dumps(OfficialFields);
}

public static class SquadV1Evaluator
{
    public static SquadV1Result Evaluate(IEnumerable<SquadGold> gold, IReadOnlyDictionary<string, string> predictions)
    {
        var total = 0;
        var exact = 0;
        var f1 = 0.0;
        var unanswered = new List<string>();
        foreach (var question in gold)
        {
            total++;
            if (!predictions.TryGetValue(question.Id, out var predicted))
            {
                unanswered.Add(question.Id);
                continue;
            }
            // The official max() over an empty list raises; a v1.1 question always has an answer.
            if (question.Answers.Count == 0)
                throw new InvalidDataException($"question {question.Id} has no gold answer; SQuAD 1.1 scoring needs one (is this a v2.0 file?)");
            exact += question.Answers.Any(a => SquadAnswerScores.ExactMatch(a, predicted)) ? 1 : 0;
            f1 += question.Answers.Max(a => SquadAnswerScores.F1V1(a, predicted));
        }
        if (total == 0) throw new InvalidDataException("the dataset has no questions");
        return new SquadV1Result(100.0 * exact / total, 100.0 * f1 / total, unanswered);
    }
}
