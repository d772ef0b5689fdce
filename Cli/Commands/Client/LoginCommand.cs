// `electralab login --api-key elab_... [--server URL]`: checks the key against the server (GET /api/me) and saves both
// in the user's config, so later client commands need neither option.
using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

public static class LoginCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = new Command("login", "Check an API key against a server and remember both for the other client commands.");
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var saved = ClientSettings.Load();
            var server = parse.GetValue(options.Server) ?? saved.Server;
            var key = parse.GetValue(options.ApiKey) ?? Environment.GetEnvironmentVariable("ELECTRALAB_API_KEY");
            if (string.IsNullOrWhiteSpace(key)) throw new ClientException("--api-key is required (the key a team admin created for you)");
            using var client = new ElectraLabClient(server, key);
            var me = await client.GetAsync("api/me", cancellation);
            new ClientSettings(client.Server.ToString().TrimEnd('/'), key).Save();
            var who = me["isAdmin"]?.GetValue<bool>() == true
                ? "the admin key (it manages teams and keys, and sees no team's experiments)"
                : $"{Formatting.Text(me["name"])} <{Formatting.Text(me["email"])}> of team {Formatting.Text(me["team"]?["name"])}";
            output.WriteLine($"logged in to {client.Server} as {who}; saved in {ClientSettings.FilePath}");
        });
        return command;
    }
}
