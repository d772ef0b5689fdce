// `electralab bench finetune`: GLUE fine-tuning steps of ELECTRA-Small with the classification head, through the
// very step fine-tuning runs (FinetuningStep: dropout reseeding, forward + cross-entropy, backward, global-norm
// clipping, AdamWeightDecay with layer-wise learning rates), on synthetic full-length rows laid out as the PyTorch
// reference (bench_pytorch_finetune.py) lays them out: SST-2 one segment, MRPC two; then evaluation batches
// (eval mode, no gradients) as the dev evaluation runs them. Warm-up excluded, next to the matmul rate measured in
// the same process, FLOPs counted as the reference script counts them (FinetuningFlops).
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ElectraLab.Config.Devices;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Modeling;
using ElectraLab.Electra;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Pretraining;
using TorchSharp;
using static TorchSharp.torch;

namespace ElectraLab.Cli.Commands;

public static class FinetuneBench
{
    /// <summary>The reference script's schedule length: SST-2's 67,349 examples / 32, one epoch.</summary>
    public const int ScheduleSteps = 2105;

    public sealed record Phase(int Batch, int Steps, double MeanSeconds, double MedianSeconds, double Flops, double MatmulGflops)
    {
        public double ExamplesPerSecond => Batch / MeanSeconds;
        public double AchievedGflops => Flops / MeanSeconds / 1e9;
        public double Ratio => AchievedGflops / MatmulGflops;
    }

    public sealed record Result(string Task, PrecisionChoice Precision, int Seq, int Threads, string Device, double MatmulGflops,
        Phase Train, Phase? Eval, IReadOnlyList<(string Phase, double Seconds)> Profile);

    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "sst2 (one segment) or mrpc (sentence pair).", DefaultValueFactory = _ => "sst2" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32 };
        var seq = new Option<int>("--seq") { DefaultValueFactory = _ => 128 };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch.", DefaultValueFactory = _ => 2 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "Timed steps.", DefaultValueFactory = _ => 10 };
        var evalBatch = new Option<int>("--eval-batch") { Description = "Evaluation batch size; 0 skips evaluation.", DefaultValueFactory = _ => 128 };
        var evalSteps = new Option<int>("--eval-steps") { Description = "Timed evaluation batches (after one untimed).", DefaultValueFactory = _ => 5 };
        var precision = new Option<string[]>("--precision") { Description = "auto, fp32 and/or bf16-mixed (repeatable).", DefaultValueFactory = _ => ["fp32"], AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per precision." };
        var device = new Option<string>("--device") { Description = "auto (CUDA when available), cpu, cuda, cuda:N.", DefaultValueFactory = _ => "auto" };
        var command = new Command("finetune", "Time GLUE fine-tuning steps and evaluation batches and compare with the matmul rate.")
            { task, batch, seq, threads, warmup, steps, evalBatch, evalSteps, precision, json, device };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var taskName = parse.GetValue(task)!;
            if (taskName is not ("sst2" or "mrpc")) throw new ArgumentException($"--task '{taskName}' is not one of sst2, mrpc");
            var options = new Options(taskName, parse.GetValue(batch), parse.GetValue(seq), parse.GetValue(threads), parse.GetValue(warmup),
                parse.GetValue(steps), parse.GetValue(evalBatch), parse.GetValue(evalSteps), parse.GetValue(device)!);
            options.Check();
            var precisions = parse.GetValue(precision)!.Select(PrecisionChoice.Validate).ToList();
            if (options.Threads > 0) set_num_threads(options.Threads);
            NativeHeap.RetainFreedMemory();
            var results = precisions.Select(p => Run(options, p, parse.GetValue(json) ? null : output)).ToList();
            if (parse.GetValue(json))
                foreach (var r in results) output.WriteLine(JsonSerializer.Serialize(Json(r)));
            else
                WriteTable(output, results);
            return 0;
        });
        return command;
    }

    public sealed record Options(string Task, int Batch, int Seq, int Threads, int Warmup, int Steps, int EvalBatch, int EvalSteps, string Device)
    {
        public void Check()
        {
            if (Batch <= 0) throw new ArgumentException($"--batch must be positive, got {Batch}");
            if (Seq < 4 || Seq > 512) throw new ArgumentException($"--seq must be in [4, 512] (ELECTRA-Small has 512 positions), got {Seq}");
            if (Threads < 0) throw new ArgumentException($"--threads must be ≥ 0, got {Threads}");
            if (Warmup < 0) throw new ArgumentException($"--warmup must be ≥ 0, got {Warmup}");
            if (Steps <= 0) throw new ArgumentException($"--steps must be positive, got {Steps}");
            if (EvalBatch < 0) throw new ArgumentException($"--eval-batch must be ≥ 0, got {EvalBatch}");
            if (EvalSteps <= 0) throw new ArgumentException($"--eval-steps must be positive, got {EvalSteps}");
        }
    }

    public static Result Run(Options options, string requestedPrecision, TextWriter? progress)
    {
        var device = TorchDevices.Default(options.Device);
        var choice = PrecisionSelection.Resolve(requestedPrecision, device);
        var config = new FinetuningConfig { TrainBatchSize = options.Batch, EvalBatchSize = Math.Max(1, options.EvalBatch), MaxSeqLength = options.Seq, Precision = choice.Resolved }.Validate();
        var dtype = config.ComputeDType ?? ScalarType.Float32;
        double matmul = MatmulRate.Measure(device, dtype);
        progress?.WriteLine($"precision {choice.Description}: matmul {matmul:F1} GFLOP/s ({dtype}, square matmul, same process, {device})");
        progress?.WriteLine($"matmul library: {MklVendorCheck.UseFeatureDispatch()}; oneMKL kernel branch {MklVendorCheck.KernelBranch()?.ToString() ?? "n/a"}");

        var modelConfig = ElectraPresets.Discriminator("small");
        const int labels = 2;
        manual_seed(0);
        using var model = new ElectraForSequenceClassification(modelConfig, labels);
        using (NewDisposeScope()) ElectraInit.TruncatedNormal(model, modelConfig.InitializerRange);
        model.to(device);
        var rows = new SyntheticRows(options.Task, options.Seq, modelConfig.VocabSize, seed: 1);

        // Training: the fine-tuning step itself, over the reference script's schedule.
        model.train();
        var train = new List<double>();
        using (var step = new FinetuningStep(model, config, ScheduleSteps, device))
        {
            for (int i = 0; i < options.Warmup + options.Steps; i++)
            {
                var (inputs, targets) = rows.Next(options.Batch);
                var clock = Stopwatch.StartNew();
                using (var loss = step.Run(seed: 1, step: i, () => Loss(model, inputs, targets, device, config)))
                    loss.item<float>();                                                        // the step's end: one sync
                if (i >= options.Warmup) train.Add(clock.Elapsed.TotalSeconds);
                progress?.Write($"\r  train step {i + 1}/{options.Warmup + options.Steps}");
            }
            progress?.WriteLine();

            // A few more steps with per-phase timing (a device sync per phase) for the profile.
            step.Profile = new StepProfile();
            int profiled = Math.Max(2, Math.Min(options.Steps, 5));
            for (int i = 0; i < profiled; i++)
            {
                var (inputs, targets) = rows.Next(options.Batch);
                using var loss = step.Run(seed: 1, step: options.Warmup + options.Steps + i, () => Loss(model, inputs, targets, device, config));
            }
            var profile = step.Profile.Totals.Select(p => (p.Phase, p.Seconds / profiled)).ToList();
            step.ZeroGrad();
            var trainPhase = Summarize(options.Batch, train, FinetuningFlops.Of(modelConfig, labels, options.Batch, options.Seq, train: true).Total, matmul);

            Phase? evalPhase = null;
            if (options.EvalBatch > 0)
            {
                model.eval();
                var times = new List<double>();
                using var _ = no_grad();
                for (int i = 0; i < 1 + options.EvalSteps; i++)
                {
                    var (inputs, _) = rows.Next(options.EvalBatch);
                    var clock = Stopwatch.StartNew();
                    using (var scope = NewDisposeScope())
                    {
                        var (ids, mask, types) = EncodedInput.Batch(inputs, device);
                        GlueDevEvaluation.Logits(model, ids, mask, types, config.ComputeDType).argmax(-1).sum().item<long>();
                    }
                    if (i >= 1) times.Add(clock.Elapsed.TotalSeconds);
                    progress?.Write($"\r  eval batch {i + 1}/{1 + options.EvalSteps}");
                }
                progress?.WriteLine();
                evalPhase = Summarize(options.EvalBatch, times, FinetuningFlops.Of(modelConfig, labels, options.EvalBatch, options.Seq, train: false).Total, matmul);
            }
            return new Result(options.Task, choice, options.Seq, options.Threads, device.ToString(), matmul, trainPhase, evalPhase, profile);
        }
    }

    private static Tensor Loss(ElectraForSequenceClassification model, IReadOnlyList<EncodedInput> inputs, long[] labels, Device device, FinetuningConfig config)
    {
        var (ids, mask, types) = EncodedInput.Batch(inputs, device);
        using var targets = tensor(labels).to(device);
        return GlueFinetuner.BatchLoss(model, ids, mask, types, targets, regression: false, config.ComputeDType);
    }

    private static Phase Summarize(int batch, List<double> seconds, double flops, double matmul)
    {
        var sorted = seconds.Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return new Phase(batch, seconds.Count, seconds.Average(), median, flops, matmul);
    }

    /// <summary>
    /// Full-length rows as the reference script builds them: [CLS] x… [SEP] with word pieces drawn from [1000, vocab);
    /// for MRPC a [SEP] at T/2 − 1 and segment 1 from T/2 on. Labels 0/1.
    /// </summary>
    private sealed class SyntheticRows(string task, int seq, int vocab, long seed)
    {
        private readonly Random _random = new((int)seed);

        public (List<EncodedInput> Inputs, long[] Labels) Next(int batch)
        {
            var inputs = new List<EncodedInput>(batch);
            var labels = new long[batch];
            for (int r = 0; r < batch; r++)
            {
                var ids = new int[seq];
                for (int i = 0; i < seq; i++) ids[i] = _random.Next(1000, vocab);
                ids[0] = PretrainBench.BertSpecials.Cls;
                ids[seq - 1] = PretrainBench.BertSpecials.Sep;
                int second = seq;
                if (task == "mrpc")
                {
                    second = seq / 2;
                    ids[second - 1] = PretrainBench.BertSpecials.Sep;
                }
                inputs.Add(new EncodedInput(ids, second));
                labels[r] = _random.Next(2);
            }
            return (inputs, labels);
        }
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<Result> results)
    {
        output.WriteLine();
        output.WriteLine("| task | precision | kind | batch×seq | threads | s/step (mean, median) | examples/s | tokens/s | achieved GFLOP/s | matmul GFLOP/s | achieved/matmul |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in results)
            foreach (var (kind, p) in new[] { ("train", r.Train), ("eval", r.Eval) })
                if (p is not null)
                    output.WriteLine($"| {r.Task} | {r.Precision.Description} | {kind} | {p.Batch}×{r.Seq} | {r.Threads} | {p.MeanSeconds:F3}, {p.MedianSeconds:F3} | " +
                        $"{p.ExamplesPerSecond:N1} | {p.ExamplesPerSecond * r.Seq:N0} | {p.AchievedGflops:F1} | {p.MatmulGflops:F1} | {p.Ratio:F2} |");
        output.WriteLine($"FLOPs per training step counted as bench_pytorch_finetune.py counts them: {results[0].Train.Flops:E4}");
        output.WriteLine();
        output.WriteLine("Where a training step's time goes (ms, profiled steps):");
        foreach (var r in results)
            output.WriteLine($"  {r.Precision.Resolved,-10} " + string.Join("  ", r.Profile.Select(p => $"{p.Phase} {p.Seconds * 1000:F0}")));
    }

    private static Dictionary<string, object?> Json(Result r) => new()
    {
        ["task"] = r.Task, ["precision"] = r.Precision.Resolved, ["precision_requested"] = r.Precision.Requested,
        ["precision_reason"] = r.Precision.Reason, ["device"] = r.Device, ["seq"] = r.Seq, ["threads"] = r.Threads,
        ["batch"] = r.Train.Batch, ["steps"] = r.Train.Steps,
        ["seconds_per_step"] = r.Train.MeanSeconds, ["seconds_per_step_median"] = r.Train.MedianSeconds,
        ["examples_per_second"] = r.Train.ExamplesPerSecond, ["tokens_per_second"] = r.Train.ExamplesPerSecond * r.Seq,
        ["flops_per_step"] = r.Train.Flops, ["achieved_gflops"] = r.Train.AchievedGflops, ["matmul_gflops"] = r.MatmulGflops,
        ["achieved_over_matmul"] = r.Train.Ratio,
        ["matmul_library"] = MklVendorCheck.UseFeatureDispatch(), ["mkl_kernel_branch"] = MklVendorCheck.KernelBranch(),
        ["profile_ms"] = r.Profile.ToDictionary(p => p.Phase, p => p.Seconds * 1000),
        ["eval"] = r.Eval is not { } e ? null : new Dictionary<string, object>
        {
            ["batch"] = e.Batch, ["steps"] = e.Steps, ["seconds_per_batch"] = e.MeanSeconds, ["seconds_per_batch_median"] = e.MedianSeconds,
            ["examples_per_second"] = e.ExamplesPerSecond, ["tokens_per_second"] = e.ExamplesPerSecond * r.Seq,
            ["flops_per_batch"] = e.Flops, ["achieved_gflops"] = e.AchievedGflops, ["achieved_over_matmul"] = e.Ratio,
        },
    };
}
