// `electralab up [--port 5080]`: the embedded default kept running until Ctrl+C: private PostgreSQL, one silo with the
// API and web pages co-hosted. Logs the client commands in to it (the saved login), so `electralab submit`,
// `leaderboard`, ... work at once from another terminal.
using System.CommandLine;
using ElectraLab.Cli.Commands.Client;

namespace ElectraLab.Cli.Commands.Stack;

public static class UpCommand
{
    public static Command Create()
    {
        var stackOptions = new StackOptions();
        var port = new Option<int>("--port") { Description = "The API's loopback port (default 5080).", DefaultValueFactory = _ => 5080 };
        var command = new Command("up", "Start the embedded default (PostgreSQL, a silo with the API) and keep it up until Ctrl+C.") { port };
        stackOptions.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var httpPort = parse.GetValue(port);
            if (httpPort is < 1 or > 65535) throw new UserInputException("--port must be between 1 and 65535");
            var settings = stackOptions.Read(parse, httpPort) with { ShowActivity = true };
            await using var stack = await EmbeddedStack.StartAsync(settings, output, cancellation);
            new ClientSettings(stack.Server.ToString().TrimEnd('/'), stack.ApiKey).Save();
            output.WriteLine($"logged in as team '{EmbeddedStack.Team}' (saved in {ClientSettings.FilePath})");
            output.WriteLine($"  API        {stack.Server}api  (reference: {stack.Server}api/reference)");
            output.WriteLine($"  pages      {stack.Server}ui/runs  (sign in with userKey from {stack.CredentialsFile})");
            output.WriteLine($"  dashboard  {stack.Server}dashboard  (any user name; the password is adminKey in {stack.CredentialsFile})");
            output.WriteLine("  try        electralab submit examples/sweep.yaml --watch   (set data_dir and team: local)");
            output.WriteLine("Ctrl+C stops the silo and PostgreSQL.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
                output.WriteLine("stopping ...");
            }
        });
        return command;
    }
}
