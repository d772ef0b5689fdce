// The merge loop of VocabTrainer: pair counts kept incrementally, a max-heap with lazy invalidation, and an index
// from each pair to the words that may hold it, so each merge touches only the words it changes.
namespace ElectraLab.Electra.Data.Tokenization;

internal sealed class PairMerger(List<string> symbols, Func<string, int> intern, List<int[]> words, List<long> counts, int minPairCount)
{
    private readonly Dictionary<long, long> _pairCounts = [];
    private readonly Dictionary<long, List<int>> _pairWords = [];
    private readonly PriorityQueue<long, (long Count, string Merged, long Pair)> _heap = new(new Order());

    public void Run(List<string> vocab, HashSet<string> inVocab, int vocabSize)
    {
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1);
        foreach (var (pair, count) in _pairCounts) Push(pair, count);

        while (vocab.Count < vocabSize && _heap.TryDequeue(out long pair, out var entry))
        {
            if (!_pairCounts.TryGetValue(pair, out long current) || current != entry.Count) continue; // stale entry
            if (current < minPairCount) break;
            int left = (int)(pair >> 32), right = (int)pair;
            int merged = intern(entry.Merged);
            if (inVocab.Add(entry.Merged)) vocab.Add(entry.Merged);
            if (!_pairWords.Remove(pair, out var touched)) continue;
            var changed = new HashSet<long>();
            foreach (int w in touched.Distinct())
            {
                if (!Contains(words[w], left, right)) continue;
                AddPairs(w, -1, changed);
                words[w] = Apply(words[w], left, right, merged);
                AddPairs(w, +1, changed);
            }
            foreach (var p in changed)
                if (_pairCounts.TryGetValue(p, out long c) && c > 0) Push(p, c);
        }
    }

    private void Push(long pair, long count)
    {
        string merged = symbols[(int)(pair >> 32)] + Strip(symbols[(int)pair]);
        _heap.Enqueue(pair, (count, merged, pair));
    }

    private static string Strip(string s) => s.StartsWith("##", StringComparison.Ordinal) ? s[2..] : s;

    private void AddPairs(int w, int sign, HashSet<long>? changed = null)
    {
        var symbolsOfWord = words[w];
        for (int i = 0; i + 1 < symbolsOfWord.Length; i++)
        {
            long pair = ((long)symbolsOfWord[i] << 32) | (uint)symbolsOfWord[i + 1];
            ref long count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _);
            count += sign * counts[w];
            if (count == 0) _pairCounts.Remove(pair);
            if (sign > 0)
            {
                if (!_pairWords.TryGetValue(pair, out var list)) _pairWords[pair] = list = [];
                if (list.Count == 0 || list[^1] != w) list.Add(w);
            }
            changed?.Add(pair);
        }
    }

    private static bool Contains(int[] word, int left, int right)
    {
        for (int i = 0; i + 1 < word.Length; i++) if (word[i] == left && word[i + 1] == right) return true;
        return false;
    }

    private static int[] Apply(int[] word, int left, int right, int merged)
    {
        var result = new List<int>(word.Length);
        for (int i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == left && word[i + 1] == right) { result.Add(merged); i++; }
            else result.Add(word[i]);
        }
        return result.ToArray();
    }

    // Highest count first; ties by merged string (ordinal), then by pair key, so the order is total.
    private sealed class Order : IComparer<(long Count, string Merged, long Pair)>
    {
        public int Compare((long Count, string Merged, long Pair) x, (long Count, string Merged, long Pair) y)
        {
            int c = y.Count.CompareTo(x.Count);
            if (c != 0) return c;
            c = string.CompareOrdinal(x.Merged, y.Merged);
            return c != 0 ? c : x.Pair.CompareTo(y.Pair);
        }
    }
}
