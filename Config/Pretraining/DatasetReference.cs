namespace ElectraLab.Config.Pretraining;

/// <summary>
/// How a config names a pushed dataset: "NAME" (its newest version when the sweep is submitted) or "NAME@sha" (a version
/// by its SHA-256 or a prefix of at least 6 hex digits). Submission pins every reference to "NAME@full-sha", so an
/// experiment always trains on exactly the version it was submitted with.
/// </summary>
public static class DatasetReference
{
    public const int MinPrefix = 6;

    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 100 } && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The name and the (lower-cased) hash prefix, if any.</summary>
    /// <exception cref="ArgumentException">the text is not a dataset reference; the message says why.</exception>
    public static (string Name, string? ShaPrefix) Parse(string reference)
    {
        var at = reference.IndexOf('@');
        var name = at < 0 ? reference : reference[..at];
        if (!IsValidName(name))
            throw new ArgumentException($"'{name}' is not a dataset name (letters, digits, '-', '_', '.'; up to 100, starting with a letter or digit)");
        if (at < 0) return (name, null);
        var sha = reference[(at + 1)..].ToLowerInvariant();
        if (sha.Length is < MinPrefix or > 64 || !sha.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"'{reference[(at + 1)..]}' is not a dataset hash ({MinPrefix} to 64 hex digits)");
        return (name, sha);
    }

    /// <summary>Whether the reference names one exact version (a full 64-digit hash): what a pinned config holds.</summary>
    public static bool IsPinned(string reference) =>
        Parse(reference).ShaPrefix is { Length: 64 };
}
