using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Pretraining;
using ElectraLab.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Checkpoints;

/// <summary>
/// Issue 15: a silo segfaulted in libtorch while writing a checkpoint. A TorchSharp wrapper that nothing references any
/// more can be finalized while native code still uses its handle or the memory behind it; these tests write and re-read
/// checkpoints while other threads make the GC and the finalizer run as often as they can.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class CheckpointLifetimeTests
{
    static readonly SpecialTokens Special = new(Pad: 0, Cls: 2, Sep: 3, Mask: 4);

    static BatchSourceFactory Data(PretrainingConfig c) => RandomTokenSource.Factory(c.TrainBatchSize, c.MaxSeqLength, c.VocabSize, 5, Special);

    /// <summary>Rounds of the stress test; each writes two checkpoints and reads one back: ~30 s on two busy cores.</summary>
    const int Rounds = 80;

    [Fact]
    public void HundredsOfCheckpoints_WrittenAndReread_WhileOtherThreadsChurnTensorsAndTheGc_StayBitExact()
    {
        var config = PretrainerTests.Micro("num_train_steps=40", "keep_checkpoint_max=2");
        var root = TestPaths.TempDirectory("checkpoint-stress");
        using var trainer = new Pretrainer(config, Data(config), Special);
        trainer.Train(untilStep: 3);
        using var restored = new Pretrainer(config, Data(config), Special);

        // The reference is written and read while nothing else runs.
        var reference = trainer.SaveCheckpoint(Path.Combine(root, "reference"));
        var expectedModel = File.ReadAllBytes(Path.Combine(reference, PretrainingCheckpoint.ModelFile));
        var expectedOptimizer = File.ReadAllBytes(Path.Combine(reference, PretrainingCheckpoint.OptimizerFile));
        var expectedMoments = ReadAll(Path.Combine(reference, PretrainingCheckpoint.OptimizerFile));
        var weights = trainer.Model.state_dict();

        try
        {
            using (var churn = new Churn())
            {
                for (int round = 0; round < Rounds; round++)
                {
                    var written = trainer.SaveCheckpoint(Path.Combine(root, "written"));
                    AssertFileBytes(expectedModel, written, PretrainingCheckpoint.ModelFile, round);
                    AssertFileBytes(expectedOptimizer, written, PretrainingCheckpoint.OptimizerFile, round);

                    // Read back into tensors: every weight equals the trainer's, every moment the reference's ...
                    restored.LoadCheckpoint(written);
                    var loaded = restored.Model.state_dict();
                    foreach (var (name, expected) in weights) Assert.True(Equal(expected, loaded[name]), $"round {round}: weight '{name}' differs after reading");
                    using (var moments = new SafetensorsReader(Path.Combine(written, PretrainingCheckpoint.OptimizerFile)))
                    {
                        foreach (var (name, expected) in expectedMoments)
                        {
                            using var actual = moments.Read(name);
                            Assert.True(Equal(expected, actual), $"round {round}: moment '{name}' differs after reading");
                        }
                    }
                    // ... and what was read (moments included) writes back to the same bytes.
                    var rewritten = restored.SaveCheckpoint(Path.Combine(root, "rewritten"));
                    AssertFileBytes(expectedModel, rewritten, PretrainingCheckpoint.ModelFile, round);
                    AssertFileBytes(expectedOptimizer, rewritten, PretrainingCheckpoint.OptimizerFile, round);
                }
                Assert.True(churn.Collections > Rounds, $"only {churn.Collections} collections ran beside {Rounds} rounds");
            }
        }
        finally
        {
            foreach (var t in expectedMoments.Values) t.Dispose();
        }
    }

    [Fact]
    public void SavingAndLoadingCheckpoints_LeaveNoTensorToTheFinalizer()
    {
        var config = PretrainerTests.Micro("num_train_steps=40", "keep_checkpoint_max=2", "log_every=1");
        var root = TestPaths.TempDirectory("checkpoint-leak");
        using var trainer = new Pretrainer(config, Data(config), Special);
        trainer.Train(untilStep: 2);
        trainer.ReadMetrics();
        trainer.SaveCheckpoint(root);

        // Per-thread counts: a tensor this thread created and the finalizer thread disposed stays live here.
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        var leaks = new Dictionary<string, long>();
        void Measure(string what, Action action)
        {
            long before = stats.ThreadTotalLiveCount;
            for (int i = 0; i < 3; i++) action();
            leaks[what] = stats.ThreadTotalLiveCount - before;
        }
        string? folder = null;
        Measure("TrainStep+ReadMetrics", () =>
        {
            trainer.TrainStep();
            trainer.ReadMetrics();
        });
        Measure("SaveCheckpoint", () => folder = trainer.SaveCheckpoint(root));
        Measure("LoadCheckpoint", () => trainer.LoadCheckpoint(folder!));
        Assert.True(leaks.Values.All(n => n == 0), "tensors left to the finalizer: " + string.Join(", ", leaks.Select(l => $"{l.Key} {l.Value}")));
    }

    [Fact]
    public void SafetensorsWriteAndRead_DisposeEveryIntermediate()
    {
        var path = Path.Combine(TestPaths.TempDirectory("safetensors-leak"), "t.safetensors");
        using var values = arange(12, dtype: float32);
        using var f32 = values.reshape(3, 4);
        using var transposed = f32.t();
        using var bf16 = f32.to_type(ScalarType.BFloat16);
        var tensors = new Dictionary<string, Tensor> { ["f32"] = f32, ["transposed"] = transposed, ["bf16"] = bf16 };
        using var into = zeros(4, 3);

        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        long before = stats.ThreadTotalLiveCount;
        SafetensorsWriter.Write(path, tensors);
        using (var reader = new SafetensorsReader(path))
        {
            reader.ReadInto("transposed", into);
            using var read = reader.Read("bf16");
        }
        Assert.Equal(before, stats.ThreadTotalLiveCount);
        Assert.True(Equal(transposed, into));
    }

    /// <summary>Same shape and dtype, every element equal (torch.equal).</summary>
    static bool Equal(Tensor expected, Tensor actual)
    {
        if (expected.dtype != actual.dtype || !expected.shape.SequenceEqual(actual.shape)) return false;
        using var equal = expected.eq(actual);
        using var all = equal.all();
        return all.item<bool>();
    }

    static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var reader = new SafetensorsReader(path);
        return reader.Entries.Keys.ToDictionary(name => name, reader.Read);
    }

    static void AssertFileBytes(byte[] expected, string folder, string file, int round)
    {
        var actual = File.ReadAllBytes(Path.Combine(folder, file));
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"round {round}: {file} differs from the reference ({actual.Length} bytes, expected {expected.Length})");
    }

    /// <summary>
    /// Two threads beside the test: one makes tensors and drops them unreferenced (work for the finalizer, and allocations
    /// that trigger collections), one collects and waits for finalizers in a loop.
    /// </summary>
    private sealed class Churn : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread[] _threads;
        private long _collections;

        public Churn()
        {
            _threads = [new Thread(Allocate) { IsBackground = true, Name = "churn-allocate" }, new Thread(Collect) { IsBackground = true, Name = "churn-collect" }];
            foreach (var t in _threads) t.Start();
        }

        public long Collections => Interlocked.Read(ref _collections);

        private void Allocate()
        {
            while (!_stop.IsCancellationRequested)
            {
                // Tensors nobody disposes: only the finalizer frees them. Each is held in a list while later calls use it,
                // and no call takes a Scalar, since TorchSharp keeps neither alive across its native calls: this thread
                // must not trip over the very hazard the test looks for.
                var made = new List<Tensor>(4);
                made.Add(ones(64, 64));
                made.Add(made[0].mm(made[0]));
                made.Add(made[1].t());
                made.Add(made[2].contiguous());
                GC.KeepAlive(made);
                _ = new byte[256 << 10];
            }
        }

        private void Collect()
        {
            while (!_stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref _collections);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            foreach (var t in _threads) Assert.True(t.Join(TimeSpan.FromSeconds(30)), $"{t.Name} did not stop");
            _stop.Dispose();
        }
    }
}
