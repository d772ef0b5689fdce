// SQuAD examples to model inputs, as ELECTRA's qa_tasks (itself BERT's run_squad) does it (ELECTRA-REFERENCE §6.2):
//  1. doc tokens (whitespace split, SquadDocument) -> WordPiece sub-tokens, with maps both ways;
//  2. training: the answer's doc tokens -> sub-token span, tightened by `_improve_answer_span`; an example whose
//     answer text is not found in its doc tokens is skipped ("Could not find answer"), as the official code does;
//  3. the query is cut to max_query_length sub-tokens; windows of max_seq_length - len(query) - 3 doc sub-tokens
//     advance by min(length, doc_stride) until the end of the document is inside one;
//  4. each window is `[CLS] q [SEP] doc [SEP]`, segment 0 then 1, padded with 0; windows that do not hold the
//     whole answer, and unanswerable questions, are labelled start = end = 0 ([CLS]).
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Electra.Finetuning.Squad;

/// <param name="MaxSeqLength">384 (BERT) or 512 (ELECTRA's default).</param>
public sealed record SquadFeaturizerOptions(int MaxSeqLength = 512, int DocStride = 128, int MaxQueryLength = 64);

/// <summary>A question the featurizer left out, and why (the official reader only logs these).</summary>
public sealed record SquadSkipped(string Id, string Reason);

public sealed record SquadFeaturization(IReadOnlyList<SquadExample> Examples, IReadOnlyList<SquadFeature> Features,
    IReadOnlyList<SquadSkipped> Skipped, int MaxSeqLength);

public sealed class SquadFeaturizer(WordPieceTokenizer tokenizer, SquadFeaturizerOptions options)
{
    private readonly WordPieceTokenizer _tokenizer = tokenizer;
    private readonly SquadFeaturizerOptions _options = options;

    public SquadFeaturizerOptions Options => _options;

    /// <summary>Examples and features for a whole file. Training mode labels spans and skips unlocatable answers.</summary>
    public SquadFeaturization Featurize(SquadDataset dataset, bool training)
    {
        var examples = new List<SquadExample>();
        var features = new List<SquadFeature>();
        var skipped = new List<SquadSkipped>();
        foreach (var paragraph in dataset.Articles.SelectMany(a => a.Paragraphs))
        {
            var document = new SquadDocument(paragraph.Context);
            SquadSubTokens? subTokens = null;
            foreach (var question in paragraph.Questions)
            {
                var (example, problem) = SquadExamples.Create(examples.Count, question, document, training);
                if (example is null)
                {
                    skipped.Add(new SquadSkipped(question.Id, problem!));
                    continue;
                }
                // Sub-tokenizing a paragraph once serves all its questions (the official code redoes it per question).
                subTokens ??= SquadSubTokens.Create(_tokenizer, document);
                examples.Add(example);
                features.AddRange(FeaturizeExample(example, subTokens, training, features.Count));
            }
        }
        return new SquadFeaturization(examples, features, skipped, _options.MaxSeqLength);
    }

    /// <summary>The windows of one example; unique ids start at <paramref name="firstUniqueId"/>.</summary>
    public List<SquadFeature> FeaturizeExample(SquadExample example, SquadSubTokens doc, bool training, int firstUniqueId)
    {
        var query = _tokenizer.Tokenize(example.Question).Take(_options.MaxQueryLength).ToList();
        int answerStart = -1, answerEnd = -1;
        var labelled = training && !example.IsImpossible;
        if (labelled)
        {
            answerStart = doc.OrigToTok[example.StartWord];
            answerEnd = example.EndWord < example.Document.Tokens.Count - 1
                ? doc.OrigToTok[example.EndWord + 1] - 1
                : doc.Tokens.Count - 1;
            (answerStart, answerEnd) = ImproveAnswerSpan(doc.Tokens, answerStart, answerEnd, example.OrigAnswerText!);
        }

        var spans = DocSpans(doc.Tokens.Count, _options.MaxSeqLength - query.Count - 3, _options.DocStride);
        var features = new List<SquadFeature>(spans.Count);
        for (var spanIndex = 0; spanIndex < spans.Count; spanIndex++)
        {
            var (spanStart, spanLength) = spans[spanIndex];
            var t = _options.MaxSeqLength;
            var tokens = new List<string>(t) { "[CLS]" };
            var segments = new long[t];
            var toOrig = new int[t];
            Array.Fill(toOrig, -1);
            var maxContext = new bool[t];
            tokens.AddRange(query);
            tokens.Add("[SEP]");
            for (var i = 0; i < spanLength; i++)
            {
                var subToken = spanStart + i;
                toOrig[tokens.Count] = doc.TokToOrig[subToken];
                maxContext[tokens.Count] = IsMaxContext(spans, spanIndex, subToken);
                segments[tokens.Count] = 1;
                tokens.Add(doc.Tokens[subToken]);
            }
            segments[tokens.Count] = 1;
            tokens.Add("[SEP]");

            var inputIds = new long[t];
            var mask = new long[t];
            if (_tokenizer.PadId != 0) Array.Fill(inputIds, _tokenizer.PadId);
            for (var i = 0; i < tokens.Count; i++)
            {
                inputIds[i] = _tokenizer.TokenToId(tokens[i]);
                mask[i] = 1;
            }

            int start = -1, end = -1;
            if (training)
            {
                start = end = 0;
                if (labelled && answerStart >= spanStart && answerEnd <= spanStart + spanLength - 1)
                {
                    var offset = query.Count + 2 - spanStart;
                    start = answerStart + offset;
                    end = answerEnd + offset;
                }
            }
            features.Add(new SquadFeature(firstUniqueId + spanIndex, example.Index, spanIndex, tokens, inputIds, mask, segments,
                toOrig, maxContext, start, end));
        }
        return features;
    }

    /// <summary>
    /// `_improve_answer_span`: the shortest sub-token span inside the word-level one whose joined text equals the
    /// tokenized answer (e.g. "1895" inside "(1895-1943)."), else the word-level span unchanged.
    /// </summary>
    public (int Start, int End) ImproveAnswerSpan(IReadOnlyList<string> docTokens, int start, int end, string answerText)
    {
        var answer = string.Join(' ', _tokenizer.Tokenize(answerText));
        for (var newStart = start; newStart <= end; newStart++)
            for (var newEnd = end; newEnd >= newStart; newEnd--)
                if (string.Join(' ', docTokens.Skip(newStart).Take(newEnd - newStart + 1)) == answer)
                    return (newStart, newEnd);
        return (start, end);
    }

    /// <summary>The sliding windows over <paramref name="docLength"/> sub-tokens: (start, length) pairs.</summary>
    public static List<(int Start, int Length)> DocSpans(int docLength, int maxTokensForDoc, int docStride)
    {
        if (maxTokensForDoc <= 0) throw new ArgumentException($"max_seq_length leaves no room for the document ({maxTokensForDoc} tokens)");
        var spans = new List<(int, int)>();
        var start = 0;
        while (start < docLength)
        {
            var length = Math.Min(docLength - start, maxTokensForDoc);
            spans.Add((start, length));
            if (start + length == docLength) break;
            start += Math.Min(length, docStride);
        }
        return spans;
    }

    /// <summary>
    /// `_check_is_max_context`: a sub-token in several windows belongs to the one where min(left, right) context
    /// plus 0.01 * window length is largest (the first such window on a tie).
    /// </summary>
    public static bool IsMaxContext(IReadOnlyList<(int Start, int Length)> spans, int spanIndex, int position)
    {
        double? bestScore = null;
        var bestIndex = -1;
        for (var i = 0; i < spans.Count; i++)
        {
            var (start, length) = spans[i];
            var end = start + length - 1;
            if (position < start || position > end) continue;
            var score = Math.Min(position - start, end - position) + 0.01 * length;
            if (bestScore is null || score > bestScore)
            {
                bestScore = score;
                bestIndex = i;
            }
        }
        return bestIndex == spanIndex;
    }
}
