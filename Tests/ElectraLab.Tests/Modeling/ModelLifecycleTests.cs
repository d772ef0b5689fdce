using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Checkpoints;
using ElectraLab.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElectraLab.Tests.Modeling;

[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class ModelLifecycleTests
{
    [Fact]
    public void SavedAndReloadedModel_GivesIdenticalOutputs()
    {
        var dir = TestPaths.TempDirectory("reload");
        var config = SafetensorsTests.MicroConfig();
        manual_seed(5);
        using var model = new ElectraForQuestionAnswering(config);
        ElectraInit.TruncatedNormal(model, 0.5);
        model.eval();
        HfModelDirectory.Save(dir, model, config, model.HfArchitecture);

        var (reloaded, _, architecture) = HfModelDirectory.Load(dir);
        using var _ = reloaded;
        Assert.Equal("ElectraForQuestionAnswering", architecture);
        reloaded.eval();
        using var ids = randint(1, 50, [3, 12]);
        using var mask = ones(3, 12, dtype: int64);
        mask[1, TensorIndex.Slice(8)] = 0;
        using var types = zeros(3, 12, dtype: int64);
        var (s1, e1) = model.Forward(ids, mask, types);
        var (s2, e2) = ((ElectraForQuestionAnswering)reloaded).Forward(ids, mask, types);
        TensorAssert.Identical(s1, s2, "start");
        TensorAssert.Identical(e1, e2, "end");
    }

    [Fact]
    public void TrainingSteps_UnderADisposeScope_KeepTheLiveTensorCountFlat()
    {
        var config = SafetensorsTests.MicroConfig();
        manual_seed(7);
        using var model = new ElectraForPreTraining(config);
        model.train();
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        using var ids = randint(1, 50, [4, 16]);
        using var mask = ones(4, 16, dtype: int64);
        using var types = zeros(4, 16, dtype: int64);
        using var labels = randint(0, 2, [4, 16]).to_type(ScalarType.Float32);

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.Forward(ids, mask, types);
            var loss = F.binary_cross_entropy_with_logits(logits, labels);
            loss.backward();
            optimizer.step();
        }

        for (int i = 0; i < 3; i++) Step();                 // gradients and optimizer state now exist
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) Step();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    [Fact]
    public void PaddedKeys_DoNotChangeTheOutputsOfRealTokens()
    {
        var config = SafetensorsTests.MicroConfig();
        manual_seed(9);
        using var model = new ElectraModel(config);
        ElectraInit.TruncatedNormal(model, 0.5);
        model.eval();
        using var _ = no_grad();
        using var ids = randint(1, 50, [1, 10]);
        using var padded = cat([ids, randint(1, 50, [1, 6])], 1);
        using var mask = cat([ones(1, 10, dtype: int64), zeros(1, 6, dtype: int64)], 1);
        using var short_ = model.forward(ids, ones(1, 10, dtype: int64), zeros(1, 10, dtype: int64));
        using var long_ = model.forward(padded, mask, zeros(1, 16, dtype: int64));
        TensorAssert.Close(short_, long_.narrow(1, 0, 10), 5e-5, "real-token outputs with padding");
    }
}
