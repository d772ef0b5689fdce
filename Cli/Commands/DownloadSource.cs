namespace ElectraLab.Cli.Commands;

/// <summary>One file to fetch: where from, the name to store it under, and its sha256 when known in advance.</summary>
public sealed record DownloadSource(Uri Url, string FileName, string? Sha256 = null);
