// The official ExampleBuilder (build_pretraining_dataset.py, E-build L35-114), draw for draw: sentences are
// accumulated until their token count reaches the target length, a blank line flushes the pending example, and
// _create_example splits the sentences into segments A and B. With a PythonRandom seeded like the official
// process's `random`, the same token stream gives the same examples.
namespace ElectraLab.Electra.Data.Pretraining;

public sealed class ExampleBuilder
{
    private readonly int _maxLength;
    private readonly int _clsId;
    private readonly int _sepId;
    private readonly PythonRandom _random;
    private readonly List<int> _tokens = [];
    private readonly List<int> _sentenceEnds = [];
    private readonly List<int> _first = [];
    private readonly List<int> _second = [];
    private int _targetLength;

    public ExampleBuilder(int maxLength, int clsId, int sepId, PythonRandom random)
    {
        // The 5% random target is randint(5, max_length) (E-build L90-91), so shorter maxima make no sense.
        if (maxLength < 5) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max_seq_length must be at least 5");
        _maxLength = maxLength;
        _clsId = clsId;
        _sepId = sepId;
        _random = random;
        _targetLength = maxLength;
    }

    public int MaxLength => _maxLength;

    /// <summary>add_line for a non-blank line that tokenized to <paramref name="tokenIds"/>: returns an example once
    /// the pending sentences reach the target length (E-build `add_line`, L44-55).</summary>
    public PretrainingExample? AddSentence(ReadOnlySpan<int> tokenIds)
    {
        // An empty sentence (a line of only control characters) changes nothing: it adds no tokens and, in
        // _create_example, always joins segment A without consuming a random draw.
        if (tokenIds.IsEmpty) return null;
        foreach (var id in tokenIds) _tokens.Add(id);
        _sentenceEnds.Add(_tokens.Count);
        return _tokens.Count >= _targetLength ? CreateExample() : null;
    }

    /// <summary>add_line("") : a blank line ends the document and flushes whatever is pending.</summary>
    public PretrainingExample? EndDocument() => _tokens.Count != 0 ? CreateExample() : null;

    // _create_example (E-build L57-95). The order of the draws matters for reproducing the official output:
    // one draw for the single-segment choice, one per sentence that reaches the 0.5 rule, one for the
    // random-length choice, and a randint only when that fires.
    private PretrainingExample CreateExample()
    {
        // 10% of examples are a single segment, "as in classification tasks" (L60-61); -3 leaves room for
        // [CLS] and two [SEP] (L64).
        int firstTarget = _random.NextDouble() < 0.1 ? 100000 : (_targetLength - 3) / 2;
        _first.Clear();
        _second.Clear();
        int start = 0;
        foreach (int end in _sentenceEnds)
        {
            int length = end - start;
            // A (1) when A is empty, (2) when the sentence keeps A under target, or (3) with probability 0.5 when
            // it would overshoot, as long as B has not started (L72-79). Python's `or`/`and` short-circuit
            // decides when the 0.5 draw is made.
            bool toFirst = _first.Count == 0 || _first.Count + length < firstTarget
                || (_second.Count == 0 && _first.Count < firstTarget && _random.NextDouble() < 0.5);
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens)[start..end];
            if (toFirst) _first.AddRange(span); else _second.AddRange(span);
            start = end;
        }

        // Truncate to max_length counting the [CLS]/[SEP] still to come (L82-84).
        int firstLength = Math.Min(_first.Count, _maxLength - 2);
        int secondLength = Math.Min(_second.Count, Math.Max(0, _maxLength - firstLength - 3));

        _tokens.Clear();
        _sentenceEnds.Clear();
        // 5% of the time the next example aims at a random length in [5, max_length] (L89-93).
        _targetLength = _random.NextDouble() < 0.05 ? _random.NextInt(5, _maxLength) : _maxLength;

        return Layout(firstLength, secondLength);
    }

    // _make_tf_example (L97-114): [CLS] A [SEP], then B [SEP] only when B is non-empty.
    private PretrainingExample Layout(int firstLength, int secondLength)
    {
        var ids = new int[firstLength + 2 + (secondLength > 0 ? secondLength + 1 : 0)];
        ids[0] = _clsId;
        _first.CopyTo(0, ids, 1, firstLength);
        ids[firstLength + 1] = _sepId;
        if (secondLength > 0)
        {
            _second.CopyTo(0, ids, firstLength + 2, secondLength);
            ids[^1] = _sepId;
        }
        return new PretrainingExample(ids, firstLength + 2);
    }
}
