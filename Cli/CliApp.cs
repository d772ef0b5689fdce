// The `electralab` command: one root with a subcommand per job. Each command lives in Commands/ and exposes
// Create(); errors a user can fix (bad paths, bad files, bad values) print one line and exit non-zero.
using System.CommandLine;
using System.Text.RegularExpressions;
using ElectraLab.Cli.Commands;
using ElectraLab.Cli.Commands.Client;
using ElectraLab.Cli.Commands.Stack;
using ElectraLab.Electra;

namespace ElectraLab.Cli;

public static partial class CliApp
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // Before anything can multiply a matrix: oneMKL decides its kernels once, at its first matmul.
        MklVendorCheck.UseFeatureDispatch();
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
            DataCommands.Data(DataDownloadCommand.Create(), DataPushCommand.Create(), DataPushCommand.List()),
            LoginCommand.Create(),
            SubmitCommand.Create(),
            StatusCommand.Create(),
            WatchCommand.Create(),
            LeaderboardCommand.Create(),
            HistoryCommand.Create(),
            CompareCommand.Create(),
            ForkCommand.Create(),
            SweepsCommand.Create(),
            CancelCommand.Create(),
            TagCommand.Create(),
            TagCommand.CreateNote(),
            DownloadCommand.Create(),
            LogsCommand.Create(),
            ReportCommand.Create(),
        };
        // Ctrl+C cancels the running command, which then has this long to stop its silo and PostgreSQL cleanly.
        var invocation = new InvocationConfiguration
        {
            Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(60),
        };
        var parse = root.Parse(args);
        // System.CommandLine would print its errors and then the whole help text; the promise is one line.
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"error: {string.Join("; ", ParseErrors(parse))} (see '{CommandPath(parse)} --help')");
            return 1;
        }
        try
        {
            return parse.Invoke(invocation);
        }
        catch (Exception e) when (UserError.Unwrap(e) is OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (!UserError.Debug)
        {
            error.WriteLine($"error: {UserError.Describe(UserError.Unwrap(e))}");
            return 1;
        }
    }

    // System.CommandLine's messages, with .NET type names ('System.Nullable`1[System.Int64]') put in the user's words;
    // "Required command was not provided" adds nothing when the word given was not a command either.
    private static IEnumerable<string> ParseErrors(ParseResult parse)
    {
        var messages = parse.Errors.Select(e => UserError.OneLine(e.Message).TrimEnd('.')).Distinct().ToList();
        if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
        return messages.Select(m => CannotParse().Replace(m, match =>
            $"option {match.Groups["option"].Value}: '{match.Groups["value"].Value}' is not {Expected(match.Groups["type"].Value)}"));
    }

    private static string Expected(string type) => type switch
    {
        _ when type.Contains("Int", StringComparison.Ordinal) => "an integer",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => $"a valid {type}",
    };

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParse();

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(result.Parent is null ? "electralab" : result.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}

/// <summary>
/// Turns an exception into the CLI's one error line. Expected failures (bad paths, bad files, bad values) print their
/// message, which names the file, key or value; anything else is a bug, printed as one line with its type. Set
/// ELECTRALAB_DEBUG=1 to get the exception with its stack trace instead.
/// </summary>
public static class UserError
{
    public static bool Debug => Environment.GetEnvironmentVariable("ELECTRALAB_DEBUG") is { Length: > 0 } v && v != "0";

    public static bool IsUserError(Exception e) => e is InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or KeyNotFoundException or ArgumentException or UserInputException
        or System.Text.Json.JsonException or UnauthorizedAccessException or ClientException or IOException;

    public static string Describe(Exception e) => IsUserError(e)
        ? OneLine(e is ArgumentException a ? WithoutParameter(a) : e.Message)
        : OneLine($"unexpected {e.GetType().Name}: {e.Message} (set ELECTRALAB_DEBUG=1 for the stack trace)");

    /// <summary>A task's or a parallel loop's single failure is that failure.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        return e;
    }

    /// <summary>Newlines (from multi-line library messages) folded into one line.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    // ArgumentException appends " (Parameter 'x')" (and, out of range, "Actual value was v."): C# names, not the user's.
    private static string WithoutParameter(ArgumentException e)
    {
        var message = e.Message;
        if (e.ParamName is { } name) message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        if (e is ArgumentOutOfRangeException { ActualValue: { } actual })
            message = message.Replace($"Actual value was {actual}.", $"(got {actual})", StringComparison.Ordinal);
        return message;
    }
}

/// <summary>A problem with what the user asked for, reported as one line.</summary>
public sealed class UserInputException(string message) : Exception(message);
