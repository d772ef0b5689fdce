using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

/// <summary>
/// The options every client command shares: where the server is and whose key to use. Order of precedence: the
/// option, then ELECTRALAB_SERVER / ELECTRALAB_API_KEY, then what `electralab login` saved, then the local stack.
/// </summary>
public sealed class ClientOptions
{
    public Option<string> Server { get; } = new("--server")
    {
        Description = $"The ElectraLab server (default: the saved login, else the local stack at {ClientSettings.DefaultServer}).",
    };

    public Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = "The API key (default: ELECTRALAB_API_KEY, else the saved login).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(ApiKey);
    }

    public ElectraLabClient Connect(ParseResult parse)
    {
        var saved = ClientSettings.Load();
        var server = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable("ELECTRALAB_SERVER") ?? saved.Server;
        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("ELECTRALAB_API_KEY") ?? saved.ApiKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new ClientException($"no API key for {server}: run `electralab login --api-key elab_...` (or `electralab up`, " +
                "which logs you in to the local stack), or pass --api-key");
        }
        return new ElectraLabClient(server, key);
    }

    /// <summary>Runs a client command's body with Ctrl+C wired to its cancellation token.</summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task> body) =>
        command.SetAction(async (parse, cancellation) =>
        {
            await body(parse, cancellation);
            return 0;
        });
}
