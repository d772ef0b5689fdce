// The `electralab` entry point. An explicit Main in a namespace rather than top-level statements: tests reference this
// assembly and the API's, whose global Program (for WebApplicationFactory) a second generated Program would shadow.
namespace ElectraLab.Cli;

public static class ElectralabProgram
{
    public static int Main(string[] args) => CliApp.Run(args, Console.Out, Console.Error);
}
