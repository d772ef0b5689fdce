// BERT's BasicTokenizer (ELECTRA model/tokenization.py `BasicTokenizer.tokenize`), in its order: _clean_text
// (drop NUL, U+FFFD and control characters; whitespace becomes a space), _tokenize_chinese_chars (spaces around
// CJK ideographs), whitespace split, then per token lower-case and strip accents (only when lower-casing, as in
// the official code) and _run_split_on_punc (every punctuation character is its own token).
using System.Buffers;
using System.Text;

namespace ElectraLab.Electra.Data.Tokenization;

internal sealed class BasicTokenizer(bool lowerCase, bool stripAccents)
{
    public bool LowerCase { get; } = lowerCase;
    public bool StripAccents { get; } = stripAccents;

    public void Tokenize(string text, List<string> output)
    {
        var buffer = ArrayPool<char>.Shared.Rent(text.Length * 3 + 16);
        try
        {
            int length = CleanAndSpaceCjk(text, buffer);
            int i = 0;
            while (i < length)
            {
                while (i < length && BertText.IsPythonSpace(buffer[i])) i++;
                int start = i;
                while (i < length && !BertText.IsPythonSpace(buffer[i])) i++;
                if (i > start) AddWord(buffer.AsSpan(start, i - start), output);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    // One whitespace token: lower-case (and strip accents), then split on punctuation. The final
    // whitespace_tokenize of the official code only drops the empty strings that stripping can leave.
    private void AddWord(ReadOnlySpan<char> raw, List<string> output)
    {
        bool ascii = true;
        foreach (var c in raw) if (c >= 128) { ascii = false; break; }
        if (ascii)
        {
            Span<char> lowered = raw.Length <= 256 ? stackalloc char[raw.Length] : new char[raw.Length];
            if (LowerCase) raw.ToLowerInvariant(lowered); else raw.CopyTo(lowered);
            SplitOnPunctuation(lowered, output);
            return;
        }
        var word = raw.ToString();
        if (LowerCase)
        {
            word = BertText.PythonLower(word);
            if (StripAccents) word = BertText.StripAccents(word);
        }
        SplitOnPunctuation(word, output);
    }

    private static void SplitOnPunctuation(ReadOnlySpan<char> word, List<string> output)
    {
        int pending = 0;
        int i = 0;
        while (i < word.Length)
        {
            Rune.DecodeFromUtf16(word[i..], out var rune, out int used);
            // A space can appear here only if stripping accents exposed one; the official code's final
            // whitespace split removes it, so it ends a token without becoming one.
            if (BertText.IsPunctuation(rune.Value) || (used == 1 && BertText.IsPythonSpace(word[i])))
            {
                if (i > pending) output.Add(word[pending..i].ToString());
                if (!BertText.IsPythonSpace(word[i])) output.Add(word.Slice(i, used).ToString());
                pending = i + used;
            }
            i += used;
        }
        if (word.Length > pending) output.Add(word[pending..].ToString());
    }

    // _clean_text and _tokenize_chinese_chars in one pass. Invalid UTF-16 decodes to U+FFFD, which is dropped,
    // as Python drops a lone surrogate (category Cs, a control character).
    private static int CleanAndSpaceCjk(string text, char[] buffer)
    {
        int n = 0;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is >= ' ' and < '\x7f')
            {
                buffer[n++] = c;
                i++;
                continue;
            }
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out int used);
            i += used;
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || BertText.IsControl(cp)) continue;
            if (BertText.IsWhitespace(cp))
            {
                buffer[n++] = ' ';
            }
            else if (BertText.IsCjk(cp))
            {
                buffer[n++] = ' ';
                n += rune.EncodeToUtf16(buffer.AsSpan(n));
                buffer[n++] = ' ';
            }
            else
            {
                n += rune.EncodeToUtf16(buffer.AsSpan(n));
            }
        }
        return n;
    }
}
