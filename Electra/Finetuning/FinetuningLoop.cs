// The training loop both fine-tuners share (ELECTRA-REFERENCE §1.3): `steps = floor(n / batch) · epochs` updates
// (E-cls preprocessing L88), each epoch a fresh permutation of the examples (full batches only), the official
// schedule (linear decay to 0 multiplied by min(1, step / warmup), warmup = 10% of the steps), global-norm
// clipping at 1.0, and AdamWeightDecay (no bias correction, ε 1e-6, decay 0.01 except LayerNorm/bias) with the
// layer-wise learning-rate multipliers. Synchronous on purpose (STYLE.md): one dispose scope per step, the loss
// summed on the device and read (one sync) only every log_every steps; cancellation is checked between steps.
using System.Diagnostics;
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Electra.Training;
using static TorchSharp.torch;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Electra.Finetuning;

/// <summary>What one seed's training did: updates, the last reported loss, wall time.</summary>
public sealed record TrainingSummary(long Steps, double FinalLoss, TimeSpan Elapsed);

public static class FinetuningLoop
{
    /// <summary>Updates for <paramref name="examples"/> training examples: floor(n / batch) per epoch, times epochs.</summary>
    public static long TotalSteps(int examples, FinetuningConfig config) =>
        (long)Math.Floor(examples / config.TrainBatchSize * config.NumTrainEpochs);

    /// <param name="loss">builds the (scalar) loss of the batch with these example indices; runs inside the step's dispose scope</param>
    public static TrainingSummary Train(ElectraTaskModel model, FinetuningConfig config, int exampleCount, long seed,
        Func<int[], Tensor> loss, Action<FinetuningProgress>? progress, int seedIndex, int seedCount, CancellationToken cancellation)
    {
        int batch = config.TrainBatchSize;
        int stepsPerEpoch = exampleCount / batch;
        long total = TotalSteps(exampleCount, config);
        if (total <= 0)
            throw new ArgumentException($"{exampleCount} training examples make no full batch of train_batch_size {batch} (num_train_epochs {config.NumTrainEpochs})");
        using var update = new FinetuningStep(model, config, total, model.parameters().First().device);

        model.train();
        var clock = Stopwatch.StartNew();
        var interval = Stopwatch.StartNew();
        Tensor? lossSum = null;
        int lossSteps = 0;
        double lrSum = 0, lastLoss = double.NaN;
        int[] order = [];
        try
        {
            for (long step = 0; step < total; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                int inEpoch = (int)(step % stepsPerEpoch);
                if (inEpoch == 0) order = Permutation(exampleCount, new StepRandom(seed, step / stepsPerEpoch, stream: 3));
                var indices = order.AsSpan(inEpoch * batch, batch).ToArray();
                double lr = update.Schedule.At(step);
                using (var value = update.Run(seed, step, () => loss(indices)))
                {
                    if (lossSum is null) lossSum = value.clone();
                    else lossSum.add_(value);
                }
                lossSteps++;
                lrSum += lr;
                if ((step + 1) % config.LogEvery == 0 || step + 1 == total)
                {
                    lastLoss = lossSum!.item<float>() / lossSteps;  // the sync point: once per log interval
                    progress?.Invoke(new FinetuningProgress(seed, seedIndex, seedCount, "train", step + 1, total, lastLoss, lrSum / lossSteps,
                        lossSteps * batch / Math.Max(1e-9, interval.Elapsed.TotalSeconds), clock.Elapsed));
                    lossSum.Dispose();
                    lossSum = null;
                    lossSteps = 0;
                    lrSum = 0;
                    interval.Restart();
                }
            }
        }
        finally
        {
            lossSum?.Dispose();
            update.ZeroGrad();
        }
        return new TrainingSummary(total, lastLoss, clock.Elapsed);
    }

    /// <summary>A Fisher-Yates permutation of 0..n-1 from a (seed, epoch) stream.</summary>
    public static int[] Permutation(int n, StepRandom random)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
