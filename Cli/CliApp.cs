// The `electralab` command: one root with a subcommand per job. Each command lives in Commands/ and exposes
// Create(); errors a user can fix (bad paths, bad files, bad values) print one line and exit non-zero.
using System.CommandLine;
using ElectraLab.Cli.Commands;
using ElectraLab.Cli.Commands.Client;
using ElectraLab.Cli.Commands.Stack;

namespace ElectraLab.Cli;

public static class CliApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("ElectraLab: ELECTRA pre-training research, from one machine to a cluster.")
        {
            ModelCommands.ImportHf(),
            ModelCommands.ExportHf(),
            ModelCommands.Inspect(),
            DemoCommand.Create(),
            UpCommand.Create(),
            SelfCheckCommand.Create(),
            BenchCommand.Create(),
            EvalCommands.Create(),
            PretrainCommand.Create(),
            FinetuneCommand.Create(),
            DataCommands.Vocab(),
            DataCommands.Data(DataDownloadCommand.Create()),
            LoginCommand.Create(),
            SubmitCommand.Create(),
            StatusCommand.Create(),
            WatchCommand.Create(),
            LeaderboardCommand.Create(),
            HistoryCommand.Create(),
            CompareCommand.Create(),
            ForkCommand.Create(),
        };
        // Ctrl+C cancels the running command, which then has this long to stop its silo and PostgreSQL cleanly.
        var invocation = new InvocationConfiguration
        {
            Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(60),
        };
        try
        {
            return root.Parse(args).Invoke(invocation);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (UserError.IsUserError(e))
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}

/// <summary>Which exceptions mean "your input is wrong" (one line, exit 1) rather than a bug (stack trace).</summary>
public static class UserError
{
    public static bool IsUserError(Exception e) => e is InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or KeyNotFoundException or ArgumentException or UserInputException
        or System.Text.Json.JsonException or UnauthorizedAccessException or ClientException;
}

/// <summary>A problem with what the user asked for, reported as one line.</summary>
public sealed class UserInputException(string message) : Exception(message);
