// Reading the JSON files a user hands us (config.json, dataset.json, SQuAD files, predictions): every failure
// becomes an exception whose message starts with the file's path and says what is wrong, so the CLI can print it
// as its one error line. System.Text.Json's own messages name neither the file nor, for wrong types, the key.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectraLab.Config;

public static class JsonFiles
{
    /// <summary>The file's text; a missing file or a folder in its place is a <see cref="FileNotFoundException"/> naming it.</summary>
    public static string ReadText(string path)
    {
        RequireFile(path);
        return File.ReadAllText(path);
    }

    /// <summary>Parses from the file as it streams in (SQuAD training files run to tens of megabytes).</summary>
    public static JsonDocument ParseDocument(string path)
    {
        RequireFile(path);
        using var stream = File.OpenRead(path);
        try { return JsonDocument.Parse(stream); }
        catch (JsonException e) { throw NotJson(path, e); }
    }

    public static JsonNode? ParseNode(string path)
    {
        var text = ReadText(path);
        try { return JsonNode.Parse(text); }
        catch (JsonException e) { throw NotJson(path, e); }
    }

    private static void RequireFile(string path)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: is a folder, expected a file", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
    }

    /// <summary>"path: not valid JSON at line 3, byte 7: ..." from the parser's exception (its position is 0-based).</summary>
    public static InvalidDataException NotJson(string path, JsonException e)
    {
        return new InvalidDataException($"{path}: {Describe(e)}", e);
    }

    /// <summary>A deserialization failure: the key its JSON path names has a value of the wrong type.</summary>
    public static InvalidDataException WrongType(string path, JsonException e)
    {
        var key = e.Path?.TrimStart('$', '.') is { Length: > 0 } k ? k : null;
        return key is null ? NotJson(path, e) : new InvalidDataException($"{path}: key '{key}' has the wrong type or is malformed", e);
    }

    /// <summary>"not valid JSON at line 3, byte 7: ..." (the parser counts from 0, people from 1).</summary>
    public static string Describe(JsonException e)
    {
        var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine.GetValueOrDefault() + 1}" : "";
        return $"not valid JSON{where}: {Sentence(e)}";
    }

    // The parser's sentence without the " LineNumber: 0 | BytePositionInLine: 6." it appends (Describe says where).
    private static string Sentence(JsonException e)
    {
        var message = e.Message;
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (at < 0) at = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (at > 0 ? message[..at] : message).Trim();
    }
}
