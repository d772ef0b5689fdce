// `electralab demo`: the README's first command. Brings up the embedded default (private PostgreSQL, one silo with the
// API co-hosted), submits a demo sweep of tiny models through the HTTP API (ELECTRA against MLM: pre-train, fine-tune
// on SST-2 over three seeds), follows it with progress bars, prints the leaderboard, and stops everything it started.
using System.CommandLine;
using System.Diagnostics;
using ElectraLab.Cli.Commands.Client;

namespace ElectraLab.Cli.Commands.Stack;

public static class DemoCommand
{
    public static Command Create()
    {
        var stackOptions = new StackOptions();
        var steps = new Option<int>("--steps") { Description = "Pre-training steps per experiment (default 150).", DefaultValueFactory = _ => 150 };
        var command = new Command("demo", "Start the embedded default, run a demo sweep end to end (pre-train, fine-tune, leaderboard), stop.")
        {
            steps,
        };
        stackOptions.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var pretrainSteps = parse.GetValue(steps);
            if (pretrainSteps is < 1 or > 100_000) throw new UserInputException("--steps must be between 1 and 100000");
            var settings = stackOptions.Read(parse, httpPort: 0);
            var clock = Stopwatch.StartNew();
            output.WriteLine($"ElectraLab demo: embedded default under {settings.DataRoot}");
            var dataset = DemoSweep.PrepareDataset(settings.SharedDirectory, settings.DataRoot, output, cancellation);
            int failed;
            await using (var stack = await EmbeddedStack.StartAsync(settings, output, cancellation))
            {
                using var client = new ElectraLabClient(stack.Server.ToString(), stack.ApiKey);
                var specFile = Path.Combine(settings.DataRoot, "demo", "demo-sweep.yaml");
                await File.WriteAllTextAsync(specFile, DemoSweep.Spec(EmbeddedStack.Team, dataset, pretrainSteps), cancellation);
                var created = await client.PostTextAsync("api/sweeps", await File.ReadAllTextAsync(specFile, cancellation), "application/yaml",
                    cancellation);
                var sweepId = Guid.Parse(Formatting.Text(created["sweepId"]));
                output.WriteLine($"submitted {specFile} as sweep {sweepId}");
                var sweep = await SweepWatcher.WatchAsync(client, sweepId, output, TimeSpan.FromSeconds(1), cancellation);
                failed = sweep["experiments"]!.AsArray().Count(e => (Formatting.Text(e!["status"])) != "completed");

                output.WriteLine();
                // The demo fine-tunes SST-2 only: its score is the "GLUE-1: SST-2" task set's, ranked within that set.
                LeaderboardCommand.Print(await client.GetAsync("api/leaderboard?benchmark=glue&sort=score&limit=20", cancellation), output);
                output.WriteLine();
                output.WriteLine($"web pages while the stack is up (`electralab up`): {stack.Server}ui/runs " +
                                 $"(sign in with userKey from {stack.CredentialsFile})");
                output.WriteLine("stopping the silo and PostgreSQL ...");
            }
            output.WriteLine($"demo finished in {clock.Elapsed.TotalSeconds:F0} s; nothing left running. Keep the stack up with `electralab up`.");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
