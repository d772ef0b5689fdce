using ElectraLab.Cli;
using Xunit.Abstractions;

namespace ElectraLab.Api.Tests.Support;

/// <summary>Runs the `electralab` command in process, as a user would type it, and logs what it printed.</summary>
public static class CliRun
{
    public static (int Code, string Output, string Error) Run(ITestOutputHelper log, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        log.WriteLine($"$ electralab {string.Join(' ', args)}\n{output}{error}");
        return (code, output.ToString(), error.ToString());
    }
}
