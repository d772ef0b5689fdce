// The pre-training loop: one masked batch, one forward/backward, global-norm clipping, one AdamWeightDecay
// update per step, checkpoints at an interval, metrics at log intervals. Synchronous on purpose (STYLE.md):
// callers run it on a dedicated thread; cancellation is checked between steps.
using System.Diagnostics;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Training;
using TorchSharp;
using static TorchSharp.torch;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Electra.Pretraining;

public sealed class Pretrainer : IDisposable
{
    private readonly PretrainingConfig _config;
    private readonly BatchSourceFactory _sources;
    private readonly SpecialTokens _special;
    private readonly Device _device;
    private readonly AdamWeightDecay _optimizer;
    private readonly IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> _parameters;
    private IPretrainingBatchSource _data;
    private Tensor? _statistics;
    private int _statisticsSteps;
    private readonly Stopwatch _intervalClock = new();
    private long _intervalTokens;

    public Pretrainer(PretrainingConfig config, BatchSourceFactory sources, SpecialTokens special, Device? device = null)
    {
        _device = device ?? TorchDevices.Default(config.Device);
        // precision auto becomes fp32 or bf16-mixed here, on the device the run has; the choice stays in Config.
        _config = config.Validate().WithPrecision(PrecisionSelection.Resolve(config.Precision, _device));
        _sources = sources;
        _special = special;
        if (config.NumThreads > 0) set_num_threads(config.NumThreads);
        NativeHeap.RetainFreedMemory();
        MklVendorCheck.UseFeatureDispatch();

        manual_seed(config.Seed);
        Model = new PretrainingModel(config);
        Model.to(_device);
        Model.train();
        _parameters = Model.UniqueParameters();
        _optimizer = new AdamWeightDecay(_parameters, config.WeightDecayRate);
        _data = _sources(null);
    }

    public PretrainingModel Model { get; }

    /// <summary>When set, each step's phases are timed (with a device sync per phase, so only for profiling).</summary>
    public StepProfile? Profile { get; set; }
    public long Step { get; private set; }
    public double TrainFlops { get; private set; }
    public PretrainingConfig Config => _config;

    /// <summary>Where the model trains.</summary>
    public Device Device => _device;

    /// <summary>The precision this run trains in, and why when it was auto: "auto -> bf16-mixed (CPU has AVX512-BF16)".</summary>
    public string PrecisionDescription => _config.PrecisionChoiceNote ?? _config.Precision;

    /// <summary>bf16 for bf16-mixed (fp32 master weights, moments and reductions), null for fp32.</summary>
    public ScalarType? ComputeDType => _config.PrecisionKind == Precision.Bf16Mixed ? ScalarType.BFloat16 : null;

    public PretrainingPhase Phase =>
        _config.AlgorithmKind == TrainingAlgorithm.Joint ? PretrainingPhase.Joint
        : Step < _config.GeneratorSteps ? PretrainingPhase.GeneratorOnly : PretrainingPhase.DiscriminatorOnly;

    /// <summary>The learning rate of the current step. Two-stage runs one schedule per stage.</summary>
    public double LearningRate
    {
        get
        {
            if (_config.AlgorithmKind == TrainingAlgorithm.Joint)
                return new LearningRateSchedule(_config.LearningRate, _config.NumTrainSteps, _config.NumWarmupSteps, _config.LrDecayPower).At(Step);
            bool first = Step < _config.GeneratorSteps;
            int total = first ? _config.GeneratorSteps : _config.NumTrainSteps - _config.GeneratorSteps;
            long local = first ? Step : Step - _config.GeneratorSteps;
            return new LearningRateSchedule(_config.LearningRate, total, Math.Min(_config.NumWarmupSteps, total), _config.LrDecayPower).At(local);
        }
    }

    /// <summary>
    /// Runs steps until <paramref name="untilStep"/> (default num_train_steps) or cancellation, through the one loop
    /// (<see cref="PretrainingRun"/>): metrics every log_every steps, checkpoints under <paramref name="checkpointRoot"/>
    /// when given.
    /// </summary>
    public PretrainingRunResult Train(long? untilStep = null, Action<TrainingMetrics>? onMetrics = null, string? checkpointRoot = null,
        CancellationToken cancellation = default) =>
        new PretrainingRun(this, new PretrainingRunOptions(checkpointRoot, untilStep), new MetricsCallback(onMetrics)).Run(cancellation);

    /// <summary>Starts the clock of the current metrics interval (tokens per second) afresh.</summary>
    internal void RestartIntervalClock() => _intervalClock.Restart();

    private sealed class MetricsCallback(Action<TrainingMetrics>? onMetrics) : IPretrainingObserver
    {
        public void Metrics(TrainingMetrics metrics) => onMetrics?.Invoke(metrics);
    }

    /// <summary>One full optimizer step.</summary>
    public void TrainStep()
    {
        if (!_intervalClock.IsRunning) _intervalClock.Start();
        if (_config.AlgorithmKind == TrainingAlgorithm.TwoStage && Step == _config.GeneratorSteps) StartDiscriminatorStage();
        var phase = Phase;
        // Every source of randomness in this step derives from (seed, step): resuming at step k replays it exactly.
        manual_seed(StepRandom.TorchSeed(_config.Seed, Step));
        DropoutRandom.Reseed(StepRandom.TorchSeed(_config.Seed, Step) ^ 0x44524F50);
        Profile?.Start();
        var tokens = _data.Next();
        var masked = DynamicMasking.Apply(tokens.InputIds, tokens.InputMask, tokens.SegmentIds, tokens.BatchSize, tokens.SeqLength,
            _config.MaskProb, _config.MaxPredictions, _special, new StepRandom(_config.Seed, Step, stream: 1));
        double lr = LearningRate;

        using (var scope = NewDisposeScope())
        {
            using var batch = new DeviceBatch(masked, _device);
            _optimizer.ZeroGrad();
            Profile?.Mark("data+masking", _device);
            Tensor loss, statistics;
            using (MixedPrecision.Use(ComputeDType))
                (loss, statistics) = Model.Step(batch, phase);
            Profile?.Mark("forward+loss", _device);
            loss.backward();
            Profile?.Mark("backward", _device);
            _optimizer.ClipAndStep(lr, clipNorm: 1.0);
            Profile?.Mark("clip+update", _device);
            // Accumulate on the device; item() happens only when metrics are read.
            if (_statistics is null) _statistics = statistics.detach().clone().MoveToOuterDisposeScope();
            else _statistics.add_(statistics);
        }
        _statisticsSteps++;
        _intervalTokens += (long)tokens.BatchSize * tokens.SeqLength;
        TrainFlops += FlopCounter.PerStep(_config, phase);
        Step++;
    }

    /// <summary>Averages since the last read. Reading synchronises with the device once.</summary>
    public TrainingMetrics ReadMetrics()
    {
        var s = new float[9];
        if (_statistics is not null)
        {
            using var cpu = _statistics.cpu();
            s = cpu.data<float>().ToArray();
        }
        int n = Math.Max(1, _statisticsSteps);
        double seconds = Math.Max(1e-9, _intervalClock.Elapsed.TotalSeconds);
        double Ratio(double a, double b) => b > 0 ? a / b : 0;
        var metrics = new TrainingMetrics(
            Step, Phase.ToString(),
            MlmLoss: s[0] / n, DiscLoss: s[1] / n,
            GeneratorAccuracy: Ratio(s[2], s[3]),
            DiscAccuracy: Ratio(s[4] + s[7], s[8]),
            DiscPrecision: Ratio(s[4], s[4] + s[5]),
            DiscRecall: Ratio(s[4], s[4] + s[6]),
            LearningRate: LearningRate,
            TokensPerSecond: _intervalTokens / seconds,
            TrainFlops: TrainFlops,
            // s[8] is the discriminator's token weight: 0 for the objectives without one.
            DiscPriorGap: s[8] > 0 ? TrainingMetrics.PriorEntropy((s[4] + s[6]) / s[8]) - s[1] / n : null);
        _statistics?.Dispose();
        _statistics = null;
        _statisticsSteps = 0;
        _intervalTokens = 0;
        _intervalClock.Restart();
        return metrics;
    }

    /// <summary>
    /// Two-stage, stage 2 (Paper §3.2): the discriminator starts from the generator's encoder (equal sizes) and
    /// the generator is frozen.
    /// </summary>
    private void StartDiscriminatorStage()
    {
        using var _ = no_grad();
        var generator = Model.Generator!.Backbone.state_dict();
        foreach (var (name, tensor) in Model.Backbone.state_dict())
            if (generator.TryGetValue(name, out var source) && !ReferenceEquals(source, tensor)) tensor.copy_(source);
        foreach (var p in Model.Generator!.parameters()) p.requires_grad = false;
        Model.Generator!.eval();
    }

    public string SaveCheckpoint(string root)
    {
        var state = new CheckpointState(Step, _data.Position, TrainFlops, "per-step", _config.Seed,
            JsonNode.Parse(_config.ToJson())!.AsObject(), DateTimeOffset.UtcNow);
        return PretrainingCheckpoint.Write(root, Step, dir =>
        {
            HfWeights.Save(Model, Path.Combine(dir, PretrainingCheckpoint.ModelFile));
            SafetensorsWriter.Write(Path.Combine(dir, PretrainingCheckpoint.OptimizerFile), _optimizer.State());
        }, state, _config.KeepCheckpointMax);
    }

    /// <summary>Restores weights, moments, step, FLOPs and the data position from a checkpoint folder.</summary>
    public void LoadCheckpoint(string folder)
    {
        var state = PretrainingCheckpoint.ReadState(folder);
        HfWeights.Load(Model, Path.Combine(folder, PretrainingCheckpoint.ModelFile));
        using (var moments = new SafetensorsReader(Path.Combine(folder, PretrainingCheckpoint.OptimizerFile)))
        {
            _optimizer.LoadState((name, into) =>
            {
                if (!moments.Entries.ContainsKey(name)) return false;
                moments.ReadInto(name, into);
                return true;
            });
        }
        Step = state.Step;
        TrainFlops = state.TrainFlops;
        if (_config.AlgorithmKind == TrainingAlgorithm.TwoStage && Step > _config.GeneratorSteps)
        {
            foreach (var p in Model.Generator!.parameters()) p.requires_grad = false;
            Model.Generator!.eval();
        }
        _data.Dispose();
        _data = _sources(state.DataPosition);
        _statistics?.Dispose();
        _statistics = null;
        _statisticsSteps = 0;
    }

    /// <summary>Writes the kept model (and the generator) as Hugging Face folders.</summary>
    public void ExportHf(string root)
    {
        var kept = Model.KeptModel;
        HfModelDirectory.Save(Path.Combine(root, "discriminator"), kept, kept.Config, kept.HfArchitecture);
        if (Model.Generator is { } g && _config.ExportsGenerator)
            HfModelDirectory.Save(Path.Combine(root, "generator"), g, g.Config, g.HfArchitecture);
    }

    public void Dispose()
    {
        _statistics?.Dispose();
        _optimizer.Dispose();
        _data.Dispose();
        Model.Dispose();
    }
}
