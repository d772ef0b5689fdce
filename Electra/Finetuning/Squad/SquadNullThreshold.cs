// Choosing the SQuAD 2.0 no-answer threshold on dev: the official scorer's `find_best_thresh` over the null
// odds, maximising F1 (what the leaderboard ranks by). Predicting "" for odds above the threshold then gives
// the dev score the scorer reports as best_f1.
using ElectraLab.Electra.Evaluation;

namespace ElectraLab.Electra.Finetuning.Squad;

public static class SquadNullThreshold
{
    /// <summary>The null-odds threshold that maximises dev F1, from the best non-null answers and their odds.</summary>
    public static double ChooseOnDev(SquadDataset dev, IReadOnlyList<SquadAnswerPrediction> predictions)
    {
        var result = SquadV2Evaluator.Evaluate(dev.Gold(), SquadPredictionFiles.BestNonNull(predictions), SquadPredictionFiles.NullOdds(predictions));
        return result.Best!.BestF1Threshold;
    }

    /// <summary>Final answers: "" where the null odds exceed the threshold, else the best non-null text.</summary>
    public static Dictionary<string, string> Apply(IReadOnlyList<SquadAnswerPrediction> predictions, double threshold) =>
        predictions.ToDictionary(p => p.Id, p => p.NullOdds is { } odds && odds > threshold ? "" : p.BestText, StringComparer.Ordinal);
}
