// One fine-tuning update, the unit both FinetuningLoop and `electralab bench finetune` run (so the benchmark times
// exactly the step fine-tuning takes): the dropout streams reseeded from (seed, step), gradients cleared, the
// task's loss built and back-propagated, then global-norm clipping at 1.0 and AdamWeightDecay with the
// layer-wise learning-rate multipliers (fused over raw memory on the CPU). One dispose scope per step.
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Electra.Training;
using static TorchSharp.torch;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Electra.Finetuning;

public sealed class FinetuningStep : IDisposable
{
    private readonly AdamWeightDecay _optimizer;
    private readonly Device _device;

    /// <param name="totalSteps">the schedule's length: linear decay to 0 over it, warm-up over warmup_proportion of it</param>
    public FinetuningStep(ElectraTaskModel model, FinetuningConfig config, long totalSteps, Device device)
    {
        _device = device;
        Schedule = new LearningRateSchedule(config.LearningRate, (int)totalSteps, (int)(totalSteps * config.WarmupProportion));
        int layers = model.Config.NumHiddenLayers;
        // Every parameter once (a tied tensor under two names would get two updates).
        var parameters = TensorStorage.Distinct(model.named_parameters());
        _optimizer = new AdamWeightDecay(parameters, config.WeightDecayRate,
            name => LayerwiseLearningRate.Scale(name, layers, config.LayerwiseLrDecay));
    }

    public LearningRateSchedule Schedule { get; }

    /// <summary>When set, each step's phases are timed (a device sync per phase: for profiling only).</summary>
    public StepProfile? Profile { get; set; }

    /// <summary>
    /// Runs update <paramref name="step"/> of seed <paramref name="seed"/>; returns the step's loss, detached, outside
    /// the step's scope (the caller disposes it; reading it is a device sync).
    /// </summary>
    /// <param name="loss">builds the scalar loss of the step's batch; runs inside the step's dispose scope</param>
    public Tensor Run(long seed, long step, Func<Tensor> loss)
    {
        double lr = Schedule.At(step);
        // Dropout draws from (seed, step) only: a seed's run is reproducible whatever ran before it. CPU dropout
        // masks come from DropoutRandom's own per-thread stream, reseeded like the Pretrainer does.
        manual_seed(StepRandom.TorchSeed(seed, step));
        DropoutRandom.Reseed(StepRandom.TorchSeed(seed, step) ^ 0x44524F50);
        Profile?.Start();
        using var scope = NewDisposeScope();
        _optimizer.ZeroGrad();
        var value = loss();
        Profile?.Mark("forward+loss", _device);
        value.backward();
        Profile?.Mark("backward", _device);
        _optimizer.ClipAndStep(lr, clipNorm: 1.0);
        Profile?.Mark("clip+update", _device);
        return value.detach().MoveToOuterDisposeScope();
    }

    /// <summary>Drops the gradients (they hold a model's worth of memory between seeds).</summary>
    public void ZeroGrad() => _optimizer.ZeroGrad();

    public void Dispose() => _optimizer.Dispose();
}
