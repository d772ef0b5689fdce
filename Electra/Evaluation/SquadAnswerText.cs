// The official SQuAD answer normalisation (evaluate-v1.1.py / evaluate-v2.0.py `normalize_answer`): Python's
// str.lower(), drop every character of string.punctuation, replace the whole words a/an/the with a space,
// then collapse whitespace (str.split / ' '.join). Reimplemented with Python's character classes, not .NET's,
// because the official regex `\b` and str.split() disagree with .NET's \b and char.IsWhiteSpace on a few
// characters, and a few characters are enough to move an exact-match score.
using System.Globalization;
using System.Text;

namespace ElectraLab.Electra.Evaluation;

public static class SquadAnswerText
{
    // Python's string.punctuation: the 32 ASCII punctuation characters.
    private const string PythonPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    public static string Normalize(string text) => string.Join(' ', Tokens(text));

    /// <summary>The normalised answer split into tokens (`normalize_answer(s).split()`).</summary>
    public static List<string> Tokens(string text)
    {
        var lowered = PythonLower(text);
        var withoutPunctuation = new StringBuilder(lowered.Length);
        foreach (var c in lowered)
            if (!PythonPunctuation.Contains(c)) withoutPunctuation.Append(c);
        var tokens = new List<string>();
        foreach (var piece in SplitOnPythonWhitespace(RemoveArticles(withoutPunctuation.ToString())))
            tokens.Add(piece);
        return tokens;
    }

    // `re.sub(r'\b(a|an|the)\b', ' ', text)`: a match must be a maximal run of word characters, so replacing
    // every maximal run that equals a, an or the is the same substitution.
    private static string RemoveArticles(string text)
    {
        var output = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var width = WordCharWidth(text, i);
            if (width == 0)
            {
                output.Append(text[i]);
                i++;
                continue;
            }
            var start = i;
            while (i < text.Length && (width = WordCharWidth(text, i)) > 0) i += width;
            var word = text.AsSpan(start, i - start);
            if (word is "a" or "an" or "the") output.Append(' ');
            else output.Append(word);
        }
        return output.ToString();
    }

    // Python's Unicode `\w`: letters (L*), numbers (N*) and the underscore, by code point. Returns the UTF-16
    // width of the word character at i, or 0 when it is not one.
    private static int WordCharWidth(string text, int i)
    {
        if (Rune.TryGetRuneAt(text, i, out var rune))
        {
            if (rune.Value == '_') return rune.Utf16SequenceLength;
            var category = Rune.GetUnicodeCategory(rune);
            var isWord = category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
                or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
            return isWord ? rune.Utf16SequenceLength : 0;
        }
        return 0;
    }

    private static IEnumerable<string> SplitOnPythonWhitespace(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var space = i == text.Length || IsPythonSpace(text[i]);
            if (space && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
            else if (!space && start < 0) start = i;
        }
    }

    /// <summary>Python's str.isspace on one character: .NET's whitespace plus U+001C..U+001F.</summary>
    public static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary>
    /// Python's str.lower(): the simple lower-case mapping, plus the two full mappings Python applies that .NET's
    /// does not (U+0130 becomes "i" + U+0307; a capital sigma at the end of a word becomes final sigma).
    /// </summary>
    public static string PythonLower(string text)
    {
        var output = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\u0130') output.Append("i\u0307");
            else if (c == '\u03A3') output.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(Rune.ToLowerInvariant(new Rune(c, text[i + 1])).ToString());
                i++;
            }
            else output.Append(char.ToLowerInvariant(c));
        }
        return output.ToString();
    }

    // Unicode's Final_Sigma context as CPython checks it: a cased letter before (skipping case-ignorable
    // characters) and no cased letter after.
    private static bool IsFinalSigma(string text, int i)
    {
        var j = i - 1;
        while (j >= 0 && IsCaseIgnorable(text[j])) j--;
        if (j < 0 || !IsCased(text[j])) return false;
        j = i + 1;
        while (j < text.Length && IsCaseIgnorable(text[j])) j++;
        return j == text.Length || !IsCased(text[j]);
    }

    private static bool IsCased(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(char c) => c is '\'' or '.' or ':' or '\u00B7' or '\u2018' or '\u2019' or '\u2024' or '\u2027'
        || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
