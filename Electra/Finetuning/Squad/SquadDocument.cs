// A context split the way the official reader splits it (`read_squad_examples` / ELECTRA `_read_examples`):
// runs of non-whitespace become doc tokens, where whitespace is only space, tab, CR, LF and U+202F, and every
// code point maps to the doc token it belongs to (a whitespace character maps to the token before it).
// Offsets are in code points because answer_start is; a context with surrogate pairs keeps them aligned.
using System.Text;

namespace ElectraLab.Electra.Finetuning.Squad;

public sealed class SquadDocument
{
    private readonly int[] _codePointToToken;

    public SquadDocument(string context)
    {
        Context = context;
        var tokens = new List<string>();
        var offsets = new List<int>();
        var current = new StringBuilder();
        var previousWasSpace = true;
        foreach (var rune in context.EnumerateRunes())
        {
            if (IsWhitespace(rune.Value)) previousWasSpace = true;
            else
            {
                if (previousWasSpace)
                {
                    if (current.Length > 0) tokens.Add(current.ToString());
                    current.Clear();
                }
                current.Append(rune.ToString());
                previousWasSpace = false;
            }
            offsets.Add(tokens.Count + (current.Length > 0 ? 1 : 0) - 1);
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        Tokens = tokens;
        _codePointToToken = [.. offsets];
    }

    public string Context { get; }

    /// <summary>The whitespace-separated doc tokens (`doc_tokens`).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>`char_to_word_offset`: the doc token of a code point offset (-1 for leading whitespace).</summary>
    public int TokenAt(int codePointOffset) => _codePointToToken[codePointOffset];

    public int CodePointCount => _codePointToToken.Length;

    /// <summary>The official `is_whitespace`: narrower than Unicode's, so e.g. U+00A0 stays inside a doc token.</summary>
    public static bool IsWhitespace(int codePoint) => codePoint is ' ' or '\t' or '\r' or '\n' or 0x202F;
}
