// `electralab cancel <sweep> [--reason ...]`: cancels every unfinished experiment of a sweep; running jobs stop at their
// next step.
using System.CommandLine;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

public static class CancelCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("sweep") { Description = "The sweep to cancel." };
        var reason = new Option<string>("--reason") { Description = "Recorded with every cancelled experiment.", DefaultValueFactory = _ => "cancelled from the CLI" };
        var command = new Command("cancel", "Cancel a sweep's unfinished experiments.") { id, reason };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            using var client = options.Connect(parse);
            await client.PostJsonAsync($"api/sweeps/{parse.GetValue(id)}/cancel", new JsonObject { ["reason"] = parse.GetValue(reason) }, cancellation);
            parse.InvocationConfiguration.Output.WriteLine($"sweep {parse.GetValue(id)}: cancelling its unfinished experiments");
        });
        return command;
    }
}
