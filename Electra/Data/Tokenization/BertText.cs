// Character classes of BERT's tokenization.py (the copy in ELECTRA's model/tokenization.py): what counts as
// whitespace, control, punctuation and a CJK ideograph, plus the few places where Python's str methods differ
// from .NET's (str.strip/str.split whitespace, str.lower's full case mapping).
using System.Globalization;
using System.Text;

namespace ElectraLab.Electra.Data.Tokenization;

internal static class BertText
{
    /// <summary>`_is_whitespace`: space, \t, \n, \r, or Unicode category Zs.</summary>
    public static bool IsWhitespace(int cp) =>
        cp is ' ' or '\t' or '\n' or '\r' || (cp > 127 && Rune.GetUnicodeCategory(new Rune(cp)) == UnicodeCategory.SpaceSeparator);

    /// <summary>`_is_control`: any category C* except \t, \n, \r (which count as whitespace).</summary>
    public static bool IsControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r') return false;
        if (cp is >= 32 and < 127) return false;
        return Rune.GetUnicodeCategory(new Rune(cp)) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>`_is_punctuation`: every non-alphanumeric printable ASCII character, or any category P*.</summary>
    public static bool IsPunctuation(int cp)
    {
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        if (cp < 128) return false;
        return Rune.GetUnicodeCategory(new Rune(cp)) is UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>`_is_chinese_char`: the CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana).</summary>
    public static bool IsCjk(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>Python's str.isspace for the characters str.strip() and str.split() remove: .NET's set plus the
    /// information separators U+001C..U+001F, which Python treats as whitespace and .NET does not.</summary>
    public static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary>Python's str.strip().</summary>
    public static ReadOnlySpan<char> PythonStrip(ReadOnlySpan<char> s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPythonSpace(s[start])) start++;
        while (end > start && IsPythonSpace(s[end - 1])) end--;
        return s[start..end];
    }

    /// <summary>Python's str.lower(): .NET's simple mapping plus the two full mappings Python applies,
    /// U+0130 -> "i\u0307" and the word-final capital sigma -> U+03C2.</summary>
    public static string PythonLower(string s)
    {
        bool ascii = true;
        foreach (var c in s) if (c >= 128) { ascii = false; break; }
        if (ascii) return s.ToLowerInvariant();
        var builder = new StringBuilder(s.Length + 4);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\u0130') builder.Append("i\u0307");
            else if (c == '\u03A3') builder.Append(IsFinalSigma(s, i) ? '\u03C2' : '\u03C3');
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                builder.Append(Rune.ToLowerInvariant(new Rune(c, s[i + 1])).ToString());
                i++;
            }
            else builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>`_run_strip_accents`: NFD, then drop every non-spacing mark (Mn).</summary>
    public static string StripAccents(string s)
    {
        bool ascii = true;
        foreach (var c in s) if (c >= 128) { ascii = false; break; }
        if (ascii) return s;
        var decomposed = s.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) builder.Append(rune.ToString());
        return builder.ToString();
    }

    // Unicode's Final_Sigma condition, as CPython evaluates it: a cased letter before (skipping case-ignorable
    // characters) and none after.
    private static bool IsFinalSigma(string s, int i)
    {
        int j = i - 1;
        while (j >= 0 && IsCaseIgnorable(s[j])) j--;
        if (j < 0 || !IsCased(s[j])) return false;
        j = i + 1;
        while (j < s.Length && IsCaseIgnorable(s[j])) j++;
        return j == s.Length || !IsCased(s[j]);
    }

    private static bool IsCased(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(char c) =>
        // Word_Break MidLetter, MidNumLet and Single_Quote, which Unicode adds to the category-based set.
        c is '\'' or '.' or ':' or '\u00B7' or '\u0387' or '\u055F' or '\u05F4' or '\u2018' or '\u2019' or '\u2024'
            or '\u2027' or '\uFE13' or '\uFE52' or '\uFE55' or '\uFF07' or '\uFF0E' or '\uFF1A'
        || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
