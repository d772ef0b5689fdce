// `electralab bench pretrain`: full optimizer steps (masking, forward, backward, clipping, update) of a preset
// on synthetic full-length sequences, warm-up excluded, next to the matmul rate measured in the same process.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ElectraLab.Electra;
using ElectraLab.Electra.Pretraining;
using static TorchSharp.torch;
using ElectraLab.Config.Pretraining;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Cli.Commands;

public static class PretrainBench
{
    /// <summary>BERT uncased vocabulary ids of the special tokens.</summary>
    public static readonly SpecialTokens BertSpecials = new(Pad: 0, Cls: 101, Sep: 102, Mask: 103);

    public sealed record Result(string Preset, string Objective, string Precision, int Batch, int Seq, int Threads, int Steps,
        double SecondsPerStep, double TokensPerSecond, double AchievedGflops, double MatmulGflops, double Ratio, double FlopsPerStep,
        IReadOnlyList<(string Phase, double Seconds)> Profile);

    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Model size: small, base or large.", DefaultValueFactory = _ => "small" };
        var objective = new Option<string>("--objective") { Description = "electra, mlm, electra-15, replace-mlm, all-tokens-mlm.", DefaultValueFactory = _ => "electra" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq") { DefaultValueFactory = _ => 128 };
        var steps = new Option<int>("--steps") { Description = "Timed steps (after 3 warm-up steps).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch.", DefaultValueFactory = _ => 2 };
        var precision = new Option<string[]>("--precision") { Description = "auto, fp32 and/or bf16-mixed (repeatable).", DefaultValueFactory = _ => ["fp32"], AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per precision." };
        var device = new Option<string>("--device") { Description = "auto (CUDA when available), cpu, cuda, cuda:N.", DefaultValueFactory = _ => "auto" };
        var command = new Command("pretrain", "Time full pre-training optimizer steps and compare with the matmul rate.")
            { preset, objective, batch, seq, steps, threads, precision, json, device };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            int t = parse.GetValue(threads);
            if (t > 0) set_num_threads(t);
            var results = new List<Result>();
            foreach (var p in parse.GetValue(precision)!)
            {
                var config = new PretrainingConfig
                {
                    ModelSize = parse.GetValue(preset)!,
                    GeneratorHiddenSize = ElectraLab.Config.Modeling.ElectraPresets.DefaultGeneratorFraction(parse.GetValue(preset)!),
                    Objective = parse.GetValue(objective)!,
                    TrainBatchSize = parse.GetValue(batch),
                    MaxSeqLength = parse.GetValue(seq),
                    Precision = Config.Devices.PrecisionChoice.Validate(p),
                    NumThreads = t,
                    NumWarmupSteps = 1,
                    Device = parse.GetValue(device)!,
                }.Normalized();
                results.Add(Run(config, parse.GetValue(steps), t, parse.GetValue(json) ? null : output));
            }
            if (parse.GetValue(json))
                foreach (var r in results) output.WriteLine(JsonSerializer.Serialize(Json(r)));
            else
                WriteTable(output, results);
            return 0;
        });
        return command;
    }

    public static Result Run(PretrainingConfig config, int steps, int threads, TextWriter? progress)
    {
        var device = TorchDevices.Default(config.Device);
        var choice = PrecisionSelection.Resolve(config.Precision, device);
        config = config.WithPrecision(choice);
        var dtype = config.PrecisionKind == Precision.Bf16Mixed ? ScalarType.BFloat16 : ScalarType.Float32;
        double matmul = MatmulRate.Measure(device, dtype);
        progress?.WriteLine($"precision {choice.Description}: matmul {matmul:F1} GFLOP/s ({dtype}, square matmul, same process, {device})");
        progress?.WriteLine($"matmul library: {MklVendorCheck.UseFeatureDispatch()}; oneMKL kernel branch {MklVendorCheck.KernelBranch()?.ToString() ?? "n/a"}");

        var factory = RandomTokenSource.Factory(config.TrainBatchSize, config.MaxSeqLength, config.DiscriminatorConfig().VocabSize, 17, BertSpecials);
        using var trainer = new Pretrainer(config, factory, BertSpecials, device);
        for (int i = 0; i < 3; i++) trainer.TrainStep();
        trainer.ReadMetrics();
        Sync(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            trainer.TrainStep();
            progress?.Write($"\r  step {i + 1}/{steps}");
        }
        var metrics = trainer.ReadMetrics();              // forces the device to finish the timed steps
        clock.Stop();
        progress?.WriteLine();

        // A few more steps with per-phase timing (a device sync per phase) for the profile column.
        trainer.Profile = new StepProfile();
        int profiled = Math.Max(2, Math.Min(steps, 5));
        for (int i = 0; i < profiled; i++) trainer.TrainStep();
        var profile = trainer.Profile.Totals.Select(p => (p.Phase, p.Seconds / profiled)).ToList();
        double seconds = clock.Elapsed.TotalSeconds / steps;
        double flops = FlopCounter.PerStep(config);
        double achieved = flops / seconds / 1e9;
        _ = metrics;
        return new Result(config.ModelSize, config.Objective, config.Precision, config.TrainBatchSize, config.MaxSeqLength, threads, steps,
            seconds, config.TrainBatchSize * config.MaxSeqLength / seconds, achieved, matmul, achieved / matmul, flops, profile);
    }

    private static void Sync(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA) cuda.synchronize();
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<Result> results)
    {
        output.WriteLine();
        output.WriteLine("| preset | objective | precision | batch×seq | threads | s/step | sequences/s | tokens/s | achieved GFLOP/s | matmul GFLOP/s | achieved/matmul |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
            output.WriteLine($"| {r.Preset} | {r.Objective} | {r.Precision} | {r.Batch}×{r.Seq} | {r.Threads} | {r.SecondsPerStep:F3} | {r.Batch / r.SecondsPerStep:N1} | {r.TokensPerSecond:N0} | {r.AchievedGflops:F1} | {r.MatmulGflops:F1} | {r.Ratio:F2} |");
        output.WriteLine($"FLOPs per step counted as the official flops_computation.py (generator included): {results[0].FlopsPerStep:E3}");
        output.WriteLine();
        output.WriteLine("Where a step's time goes (ms, profiled steps):");
        foreach (var r in results)
            output.WriteLine($"  {r.Precision,-10} " + string.Join("  ", r.Profile.Select(p => $"{p.Phase} {p.Seconds * 1000:F0}")));
    }

    private static Dictionary<string, object?> Json(Result r) => new()
    {
        ["preset"] = r.Preset, ["objective"] = r.Objective, ["precision"] = r.Precision, ["batch"] = r.Batch, ["seq"] = r.Seq,
        ["threads"] = r.Threads, ["steps"] = r.Steps, ["seconds_per_step"] = r.SecondsPerStep,
        ["tokens_per_second"] = r.TokensPerSecond, ["achieved_gflops"] = r.AchievedGflops, ["matmul_gflops"] = r.MatmulGflops,
        ["achieved_over_matmul"] = r.Ratio, ["flops_per_step"] = r.FlopsPerStep,
        ["matmul_library"] = MklVendorCheck.UseFeatureDispatch(), ["mkl_kernel_branch"] = MklVendorCheck.KernelBranch(),
        ["profile_ms"] = r.Profile.ToDictionary(p => p.Phase, p => p.Seconds * 1000),
    };
}
