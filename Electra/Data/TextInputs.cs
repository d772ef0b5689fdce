// Expands command-line inputs (files and folders) into the sorted list of text files a data job reads.
// The order is part of the output's identity: the builder seeds each file's random stream by its index here.
namespace ElectraLab.Electra.Data;

public static class TextInputs
{
    /// <summary>Each file as given; each folder's files recursively (hidden names skipped), sorted by ordinal path.
    /// The combined list is de-duplicated and sorted, as the official builder sorts its corpus listing.</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> inputs)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        var given = inputs.ToList();
        foreach (var input in given)
        {
            var full = Path.GetFullPath(input);
            if (File.Exists(full)) files.Add(full);
            else if (Directory.Exists(full))
            {
                foreach (var file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
                    if (!Path.GetRelativePath(full, file).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
                        files.Add(file);
            }
            else throw new FileNotFoundException($"{input}: no such file or folder", input);
        }
        if (files.Count == 0) throw new InvalidDataException($"{string.Join(", ", given)}: no input files found");
        return files.ToList();
    }

    /// <summary>The inputs as an error message names them: the one file, or the first and how many more.</summary>
    public static string Describe(IReadOnlyList<string> files) => files.Count switch
    {
        0 => "(no input files)",
        1 => files[0],
        _ => $"{files[0]} and {files.Count - 1} more file(s)",
    };
}
