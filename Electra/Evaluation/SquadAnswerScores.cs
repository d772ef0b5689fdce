// Per-answer exact match and token F1 of the official SQuAD scorers. The two versions differ only at the
// edges: v2.0 scores an empty answer against an empty answer as F1 1, v1.1 scores any zero overlap as 0.
namespace ElectraLab.Electra.Evaluation;

public static class SquadAnswerScores
{
    public static bool ExactMatch(string gold, string predicted) =>
        SquadAnswerText.Normalize(gold) == SquadAnswerText.Normalize(predicted);

    /// <summary>evaluate-v2.0.py `compute_f1`: if either side normalises to nothing, 1 when both do, else 0.</summary>
    public static double F1V2(string gold, string predicted)
    {
        // `get_tokens` returns [] for a falsy (empty) string before normalising; normalising "" gives [] too.
        var goldTokens = SquadAnswerText.Tokens(gold);
        var predictedTokens = SquadAnswerText.Tokens(predicted);
        if (goldTokens.Count == 0 || predictedTokens.Count == 0)
            return goldTokens.Count == predictedTokens.Count ? 1 : 0;
        return TokenF1(goldTokens, predictedTokens);
    }

    /// <summary>evaluate-v1.1.py `f1_score`: 0 whenever no token is shared, even when both sides are empty.</summary>
    public static double F1V1(string gold, string predicted) =>
        TokenF1(SquadAnswerText.Tokens(gold), SquadAnswerText.Tokens(predicted));

    // Bag-of-tokens overlap (collections.Counter intersection), then the harmonic mean of precision and recall.
    private static double TokenF1(List<string> goldTokens, List<string> predictedTokens)
    {
        var goldCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in goldTokens) goldCounts[token] = goldCounts.GetValueOrDefault(token) + 1;
        var shared = 0;
        foreach (var token in predictedTokens)
        {
            if (goldCounts.TryGetValue(token, out var left) && left > 0)
            {
                goldCounts[token] = left - 1;
                shared++;
            }
        }
        if (shared == 0) return 0;
        var precision = 1.0 * shared / predictedTokens.Count;
        var recall = 1.0 * shared / goldTokens.Count;
        return 2 * precision * recall / (precision + recall);
    }
}
