using ElectraLab.Electra.Evaluation;
using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Evaluation;

/// <summary>Normalisation, the v1.1 scorer on the full dev set, and the edge cases both official scripts define.</summary>
[Trait("Category", "Unit")]
public sealed class SquadScorerTests
{
    [Theory]
    [InlineData("The Normans", "normans")]
    [InlineData("  an  Apple, a PEAR and the-end!", "apple pear and theend")]
    [InlineData("theatre another a.n", "theatre another")]
    [InlineData("Ω Σ", "ω σ")]
    [InlineData("ΟΔΟΣ", "οδος")]              // Python's lower() gives a final sigma at the end of a word
    [InlineData("İ", "i\u0307")]
    [InlineData("a\u00a0b\u001fthe", "b")]    // NBSP and U+001F split like Python's str.split(); 'a' and 'the' go
    [InlineData("naïve café_the", "naïve caféthe")]  // punctuation ('_' too) goes before the article regex runs
    [InlineData("the² a½ thé", "the² a½ thé")]        // numbers and letters are word characters for Python's \b
    public void Normalize_FollowsTheOfficialSteps(string text, string expected) =>
        Assert.Equal(expected, SquadAnswerText.Normalize(text));

    [Fact]
    public void V1_OnTheFullDevSet_ScoresGoldAsHundredAndCountsMissingAsZero()
    {
        var dev = SquadDataset.Load(Path.Combine(TestPaths.Shared, "data", "squad", "dev-v1.1.json"));
        Assert.False(dev.IsV2);
        var gold = dev.Gold();
        var perfect = gold.ToDictionary(g => g.Id, g => g.Answers[0]);
        var result = SquadV1Evaluator.Evaluate(gold, perfect);
        Assert.Equal((100.0, 100.0), (result.ExactMatch, result.F1));
        Assert.Equal("{\"exact_match\": 100.0, \"f1\": 100.0}", result.ToOfficialJson());

        var half = gold.Take(gold.Count / 2).ToDictionary(g => g.Id, g => g.Answers[0]);
        var partial = SquadV1Evaluator.Evaluate(gold, half);
        Assert.Equal(100.0 * (gold.Count / 2) / gold.Count, partial.ExactMatch, 12);
        Assert.Equal(gold.Count - gold.Count / 2, partial.Unanswered.Count);
    }

    [Fact]
    public void V1AndV2_AgreeOnAnswerableQuestions()
    {
        var gold = SquadDataset.Load(Path.Combine(TestPaths.Shared, "data", "squad", "dev-v1.1.json")).Gold().Take(2000).ToList();
        // A prediction that overlaps partly: the first gold answer's first word plus an unrelated word.
        var predictions = gold.ToDictionary(g => g.Id, g => g.Answers[0].Split(' ')[0] + " zebra");
        var v1 = SquadV1Evaluator.Evaluate(gold, predictions);
        var v2 = SquadV2Evaluator.Evaluate(gold, predictions);
        Assert.Equal(v1.ExactMatch, v2.All.Exact, 9);
        Assert.Equal(v1.F1, v2.All.F1, 9);
        Assert.Null(v2.NoAnswer);
    }

    [Fact]
    public void F1_EdgeCasesDifferBetweenVersionsAsTheScriptsDo()
    {
        Assert.Equal(1.0, SquadAnswerScores.F1V2("", ""));
        Assert.Equal(0.0, SquadAnswerScores.F1V1("", ""));
        Assert.Equal(0.0, SquadAnswerScores.F1V2("the", "Paris"));
        Assert.Equal(2 * (1.0 / 3) * 1.0 / (1.0 / 3 + 1.0), SquadAnswerScores.F1V2("Paris", "in Paris city"), 12);
    }

    [Fact]
    public void V2_GoldThatNormalisesToNothing_IsDroppedAndMissingPredictionsFail()
    {
        List<SquadGold> gold = [new("q1", ["The", "Paris"]), new("q2", [])];
        var result = SquadV2Evaluator.Evaluate(gold, new Dictionary<string, string> { ["q1"] = "paris", ["q2"] = "" });
        Assert.Equal((100.0, 2), (result.All.Exact, result.All.Total));
        var error = Assert.Throws<InvalidDataException>(() => SquadV2Evaluator.Evaluate(gold, new Dictionary<string, string> { ["q1"] = "x" }));
        Assert.Contains("q2", error.Message);
    }

    [Theory]
    [InlineData(100.0, "100.0")]
    [InlineData(42.857142857142854, "42.857142857142854")]
    [InlineData(0.650934, "0.650934")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(-2.75, "-2.75")]
    [InlineData(1.5e-07, "1.5e-07")]
    public void PythonFloat_MatchesRepr(double value, string expected) => Assert.Equal(expected, PythonJson.Float(value));
}
