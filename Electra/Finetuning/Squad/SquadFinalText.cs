// `get_final_text` of the official code: the model's answer is a span of WordPiece tokens, which have lost
// case, accents and spacing; this finds the same characters in the original doc text so the answer is
// reported as written. It re-tokenizes the original span with the basic tokenizer, finds the predicted text
// in it, and maps the match back through a space-free alignment. When the alignment is impossible (the basic
// tokenizer changed the length, e.g. by stripping an accent) the whole original span is returned, as the
// official code does.
using System.Text;
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Electra.Finetuning.Squad;

public static class SquadFinalText
{
    public static string Get(string predictedText, string originalText, WordPieceTokenizer tokenizer)
    {
        var tokenizedText = string.Join(' ', tokenizer.BasicTokenize(originalText));
        var start = tokenizedText.IndexOf(predictedText, StringComparison.Ordinal);
        if (start < 0) return originalText;
        var end = start + predictedText.Length - 1;

        var (originalNoSpace, originalMap) = StripSpaces(originalText);
        var (tokenizedNoSpace, tokenizedMap) = StripSpaces(tokenizedText);
        if (originalNoSpace.Length != tokenizedNoSpace.Length) return originalText;

        // tokenized position -> space-free position
        var tokenizedToNoSpace = new Dictionary<int, int>();
        for (var i = 0; i < tokenizedMap.Count; i++) tokenizedToNoSpace[tokenizedMap[i]] = i;

        if (!tokenizedToNoSpace.TryGetValue(start, out var noSpaceStart) || noSpaceStart >= originalMap.Count) return originalText;
        if (!tokenizedToNoSpace.TryGetValue(end, out var noSpaceEnd) || noSpaceEnd >= originalMap.Count) return originalText;
        var originalStart = originalMap[noSpaceStart];
        var originalEnd = originalMap[noSpaceEnd];
        return originalText.Substring(originalStart, originalEnd - originalStart + 1);
    }

    /// <summary>The text without ' ' characters, and for each kept character its index in the text.</summary>
    private static (string Text, List<int> Map) StripSpaces(string text)
    {
        var builder = new StringBuilder(text.Length);
        var map = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ') continue;
            map.Add(i);
            builder.Append(text[i]);
        }
        return (builder.ToString(), map);
    }
}
