using System.Security.Cryptography;

namespace ElectraLab.Cli.Commands;

/// <summary>SHA256SUMS in the sha256sum format: a file's first recorded hash is the one every later run must see.</summary>
public sealed class ChecksumFile
{
    private readonly string _path;
    private readonly Dictionary<string, string> _sums = new(StringComparer.Ordinal);

    public ChecksumFile(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadAllLines(path))
            if (line.Split("  ", 2) is [var hash, var name]) _sums[name] = hash;
    }

    public void Verify(string name, string sha256)
    {
        if (_sums.TryGetValue(name, out var recorded) && recorded != sha256)
            throw new InvalidDataException($"{name}: sha256 {sha256} differs from {recorded} recorded in {_path} (the file changed at the source, or is corrupt; delete it to fetch again)");
        _sums[name] = sha256;
    }

    public void Save() => File.WriteAllLines(_path, _sums.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Value}  {kv.Key}"));
}
