// `electralab selfcheck`: a quick check of the ML core on this machine, no database or cluster needed. It builds a
// tiny ELECTRA discriminator, runs it, writes it as a Hugging Face folder, imports that folder back and shows that the
// round trip computes the same outputs. (`electralab demo` is the platform's demo sweep.)
using System.CommandLine;
using System.Diagnostics;
using ElectraLab.Electra;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Cli.Commands;

public static class SelfCheckCommand
{
    public static Command Create()
    {
        var work = new Option<DirectoryInfo>("--work") { Description = "Working folder (default: a new temporary folder)." };
        var command = new Command("selfcheck", "Check the ML core on this machine: build, run, export and re-import a tiny ELECTRA.") { work };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var dir = parse.GetValue(work)?.FullName ?? Path.Combine(Path.GetTempPath(), $"electralab-selfcheck-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            var clock = Stopwatch.StartNew();
            var device = TorchDevices.Default();
            output.WriteLine($"device: {device}, threads: {get_num_threads()}");

            manual_seed(1);
            var config = ElectraPresets.Discriminator("small", vocabSize: 1000) with { NumHiddenLayers = 2 };
            using var model = new ElectraForPreTraining(config);
            ElectraInit.TruncatedNormal(model, config.InitializerRange);
            model.eval();
            output.WriteLine($"built ElectraForPreTraining: {ModelSummary.ParameterCount(model):N0} parameters (small preset, 2 layers, vocab 1000)");

            using var ids = randint(5, 1000, [2, 32]);
            using var mask = ones(2, 32, dtype: int64);
            using var types = zeros(2, 32, dtype: int64);
            using var before = model.Forward(ids, mask, types);

            var hfDir = Path.Combine(dir, "hf-export");
            HfModelDirectory.Save(hfDir, model, config, model.HfArchitecture);
            output.WriteLine($"exported to {hfDir}");
            var (reloaded, _, architecture) = HfModelDirectory.Load(hfDir);
            using (reloaded)
            {
                reloaded.eval();
                using var after = ((ElectraForPreTraining)reloaded).Forward(ids, mask, types);
                using var diff = (before - after).abs().max();
                output.WriteLine($"re-imported {architecture}; max |output difference| = {diff.item<float>():E2}");
            }
            output.WriteLine($"selfcheck finished in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }
}
