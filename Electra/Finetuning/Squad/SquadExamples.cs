// Builds SquadExamples from questions, locating the training answer the way the official reader does.
using System.Text;

namespace ElectraLab.Electra.Finetuning.Squad;

public static class SquadExamples
{
    /// <summary>
    /// The example for <paramref name="question"/>, or null with the reason when training needs an answer span
    /// that cannot be located: answer_start past the context, or the official check that the answer's
    /// whitespace-cleaned text occurs in the doc tokens it spans ("Could not find answer").
    /// </summary>
    public static (SquadExample? Example, string? Problem) Create(int index, SquadQuestion question, SquadDocument document, bool training)
    {
        var answers = question.Answers.Select(a => a.Text).ToList();
        if (!training || question.IsImpossible)
            return (new SquadExample(index, question.Id, question.Question, document, answers, question.IsImpossible, training ? "" : null, -1, -1), null);
        if (question.Answers.Count == 0)
            return (null, "answerable question without an answer");

        var answer = question.Answers[0];
        var length = answer.Text.EnumerateRunes().Count();
        var last = answer.AnswerStart + length - 1;
        if (answer.AnswerStart < 0 || length == 0 || last >= document.CodePointCount)
            return (null, $"answer_start {answer.AnswerStart} + length {length} is outside the context ({document.CodePointCount} code points)");
        var startWord = document.TokenAt(answer.AnswerStart);
        var endWord = document.TokenAt(last);
        if (startWord < 0) return (null, $"answer_start {answer.AnswerStart} is in the leading whitespace");
        var actual = string.Join(' ', document.Tokens.Skip(startWord).Take(endWord - startWord + 1));
        var cleaned = string.Join(' ', PythonSplit(answer.Text));
        if (!actual.Contains(cleaned, StringComparison.Ordinal))
            return (null, $"could not find answer '{answer.Text}' in doc tokens '{actual}'");
        return (new SquadExample(index, question.Id, question.Question, document, answers, false, answer.Text, startWord, endWord), null);
    }

    // Python's str.split(): runs of Unicode whitespace (wider than the doc tokenizer's), dropping empties.
    private static IEnumerable<string> PythonSplit(string text)
    {
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (Evaluation.SquadAnswerText.IsPythonSpace(c))
            {
                if (current.Length > 0) yield return current.ToString();
                current.Clear();
            }
            else current.Append(c);
        }
        if (current.Length > 0) yield return current.ToString();
    }
}
