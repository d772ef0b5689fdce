namespace ElectraLab.Electra.Finetuning.Squad;

/// <summary>
/// A document's WordPiece sub-tokens (`all_doc_tokens`), each doc token tokenized on its own, with
/// `tok_to_orig_index` (sub-token -> doc token) and `orig_to_tok_index` (doc token -> its first sub-token).
/// </summary>
public sealed record SquadSubTokens(IReadOnlyList<string> Tokens, int[] TokToOrig, int[] OrigToTok)
{
    public static SquadSubTokens Create(ElectraLab.Electra.Data.Tokenization.WordPieceTokenizer tokenizer, SquadDocument document)
    {
        var tokens = new List<string>();
        var tokToOrig = new List<int>();
        var origToTok = new int[document.Tokens.Count];
        for (var i = 0; i < document.Tokens.Count; i++)
        {
            origToTok[i] = tokens.Count;
            foreach (var subToken in tokenizer.Tokenize(document.Tokens[i]))
            {
                tokToOrig.Add(i);
                tokens.Add(subToken);
            }
        }
        return new SquadSubTokens(tokens, [.. tokToOrig], origToTok);
    }
}
