namespace ElectraLab.Storage;

internal static class EmbeddedSql
{
    public static string Read(string name)
    {
        var resource = $"ElectraLab.Storage.{name}";
        using var stream = typeof(EmbeddedSql).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded SQL resource {resource} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
