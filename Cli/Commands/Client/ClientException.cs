namespace ElectraLab.Cli.Commands.Client;

/// <summary>The server said no (a problem+json answer) or could not be reached; printed as one line, exit 1.</summary>
public sealed class ClientException(string message) : Exception(message);
