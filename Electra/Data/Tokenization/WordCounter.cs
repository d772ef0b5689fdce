// Word counts for vocabulary training: every file through BERT's BasicTokenizer (so the vocabulary sees the words
// the tokenizer will later split), one file per worker, merged by summing.
using System.Collections.Concurrent;

namespace ElectraLab.Electra.Data.Tokenization;

public static class WordCounter
{
    public static Dictionary<string, long> Count(IReadOnlyList<string> files, bool lowerCase, int threads,
        Action<long>? bytesRead = null, CancellationToken cancellationToken = default)
    {
        var partials = new ConcurrentBag<Dictionary<string, long>>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        ParallelWork.Run(() => Parallel.ForEach(files, parallel, file =>
        {
            var basic = new BasicTokenizer(lowerCase, stripAccents: true);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            var words = new List<string>();
            using var reader = new LineReader(file);
            long reported = 0;
            int lines = 0;
            while (reader.ReadLine() is { } line)
            {
                words.Clear();
                basic.Tokenize(line, words);
                foreach (var word in words)
                    System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, word, out _)++;
                if (++lines % 4096 == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    bytesRead?.Invoke(reader.BytesRead - reported);
                    reported = reader.BytesRead;
                }
            }
            bytesRead?.Invoke(reader.BytesRead - reported);
            partials.Add(counts);
        }));
        // Summation is order-independent, so the bag's arbitrary order cannot change the result.
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var partial in partials)
            foreach (var (word, count) in partial)
                System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(total, word, out _) += count;
        return total;
    }
}
