// `electralab bench <area>`: throughput measurements printed as tables, each next to a ceiling measured in the
// same process. Each area contributes one subcommand.
using System.CommandLine;

namespace ElectraLab.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure throughput (pre-training and fine-tuning steps, storage, the read API) on this machine.");
        bench.Add(PretrainBench.Create());
        bench.Add(FinetuneBench.Create());
        bench.Add(StorageBenchCommand.Create());
        bench.Add(ApiBenchCommand.Create());
        return bench;
    }
}
