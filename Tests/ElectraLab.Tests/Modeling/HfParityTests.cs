using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ElectraLab.Tests.Modeling;

/// <summary>
/// Every head against Hugging Face transformers' own outputs and gradients (../shared/fixtures/hf-electra),
/// for every fixture folder (with and without embeddings_project, padded and unpadded rows), max |diff| ≤ 1e-5.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "HfParity")]
public sealed class HfParityTests
{
    const double Tolerance = 1e-5;

    public static TheoryData<string> Fixtures => HfFixture.All();

    [Theory, MemberData(nameof(Fixtures))]
    public void BareModel_MatchesEmbeddingsHiddenStatesAndLastHidden(string fixture)
    {
        using var f = HfFixture.Open(fixture);
        using var scope = NewDisposeScope();
        using var model = new ElectraModel(f.Config);
        // ElectraModel's weights are the discriminator's backbone with the "electra." prefix removed.
        HfWeights.Load(model, f.Weights("discriminator"), "electra.", ignoreExtra: n => n.StartsWith("discriminator_predictions.", StringComparison.Ordinal));
        model.eval();
        using var _ = no_grad();
        var trace = model.Trace(f.InputIds, f.AttentionMask, f.TokenTypeIds);
        TensorAssert.Close(f.Expected.Read("model_embedding_output"), trace.EmbeddingOutput, Tolerance, "model_embedding_output");
        for (int i = 0; i < trace.HiddenStates.Count; i++)
            TensorAssert.Close(f.Expected.Read($"model_hidden_states.{i}"), trace.HiddenStates[i], Tolerance, $"model_hidden_states.{i}");
        TensorAssert.Close(f.Expected.Read("model_last_hidden"), trace.HiddenStates[^1], Tolerance, "model_last_hidden");
        Assert.Equal(f.Config.NumHiddenLayers + 1, trace.HiddenStates.Count);
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void Discriminator_MatchesLogitsLossAndEveryGradient(string fixture)
    {
        using var f = HfFixture.Open(fixture);
        using var scope = NewDisposeScope();
        using var model = new ElectraForPreTraining(f.Config);
        HfWeights.Load(model, f.Weights("discriminator"));
        model.eval();

        var logits = model.Forward(f.InputIds, f.AttentionMask, f.TokenTypeIds);
        TensorAssert.Close(f.Expected.Read("disc_logits"), logits, Tolerance, "disc_logits");

        // Mean binary cross-entropy over real tokens (attention_mask = 1).
        var real = f.AttentionMask.to_type(ScalarType.Bool);
        var loss = F.binary_cross_entropy_with_logits(logits.masked_select(real), f.Inputs["disc_labels"].masked_select(real).to_type(ScalarType.Float32));
        TensorAssert.Close(f.Expected.Read("disc_loss"), loss.reshape(1), Tolerance, "disc_loss");

        loss.backward();
        AssertGradients(f, model, "discriminator.");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void Generator_MatchesLogitsLossAndEveryGradient_WithTiedEmbeddings(string fixture)
    {
        using var f = HfFixture.Open(fixture);
        using var scope = NewDisposeScope();
        using var model = new ElectraForMaskedLM(f.GeneratorConfig);
        HfWeights.Load(model, f.Weights("generator"));
        model.eval();

        var logits = model.Forward(f.InputIds, f.AttentionMask, f.TokenTypeIds);
        TensorAssert.Close(f.Expected.Read("gen_logits"), logits, Tolerance, "gen_logits");

        var hidden = model.Backbone.forward(f.InputIds, f.AttentionMask, f.TokenTypeIds);
        TensorAssert.Close(f.Expected.Read("gen_last_hidden"), hidden, Tolerance, "gen_last_hidden");

        var labels = f.Inputs["mlm_labels"];
        var loss = F.cross_entropy(logits.reshape(-1, f.GeneratorConfig.VocabSize), labels.reshape(-1), ignore_index: -100);
        TensorAssert.Close(f.Expected.Read("gen_loss"), loss.reshape(1), Tolerance, "gen_loss");

        // The masked-position path gives the same logits as the all-position one.
        var positions = labels.ne(-100).nonzero().select(1, 1).reshape(labels.shape[0], -1);
        var gathered = model.LogitsAt(hidden, positions);
        var expectedAt = logits.gather(1, positions.unsqueeze(-1).expand(-1, -1, f.GeneratorConfig.VocabSize));
        TensorAssert.Close(expectedAt, gathered, 1e-6, "gen_logits_at_masked_positions");

        loss.backward();
        AssertGradients(f, model, "generator.");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void Classifier_MatchesLogitsAndLoss(string fixture)
    {
        using var f = HfFixture.Open(fixture);
        using var scope = NewDisposeScope();
        using var model = new ElectraForSequenceClassification(f.Config, numLabels: 3);
        HfWeights.Load(model, f.Weights("classifier"));
        model.eval();
        using var _ = no_grad();
        var logits = model.Forward(f.InputIds, f.AttentionMask, f.TokenTypeIds);
        TensorAssert.Close(f.Expected.Read("cls_logits"), logits, Tolerance, "cls_logits");
        var loss = F.cross_entropy(logits, f.Inputs["cls_labels"]);
        TensorAssert.Close(f.Expected.Read("cls_loss"), loss.reshape(1), Tolerance, "cls_loss");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void QuestionAnswering_MatchesStartEndLogitsAndLoss(string fixture)
    {
        using var f = HfFixture.Open(fixture);
        using var scope = NewDisposeScope();
        using var model = new ElectraForQuestionAnswering(f.Config);
        HfWeights.Load(model, f.Weights("qa"));
        model.eval();
        using var _ = no_grad();
        var (start, end) = model.Forward(f.InputIds, f.AttentionMask, f.TokenTypeIds);
        TensorAssert.Close(f.Expected.Read("qa_start_logits"), start, Tolerance, "qa_start_logits");
        TensorAssert.Close(f.Expected.Read("qa_end_logits"), end, Tolerance, "qa_end_logits");

        // HF: positions clamped to [0, T], index T ignored; loss = (CE(start) + CE(end)) / 2.
        long length = start.shape[1];
        var startPositions = f.Inputs["qa_start_positions"].clamp(0, length);
        var endPositions = f.Inputs["qa_end_positions"].clamp(0, length);
        var loss = (F.cross_entropy(start, startPositions, ignore_index: length) + F.cross_entropy(end, endPositions, ignore_index: length)) / 2;
        TensorAssert.Close(f.Expected.Read("qa_loss"), loss.reshape(1), Tolerance, "qa_loss");
    }

    private static void AssertGradients(HfFixture f, nn.Module model, string prefix)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var expected = f.Grads.Entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(expected);
        foreach (var name in expected)
        {
            var key = name[prefix.Length..];
            Assert.True(parameters.ContainsKey(key) || key == "generator_lm_head.weight", $"no parameter '{key}' for gradient '{name}'");
            // The tied LM-head weight is the word-embedding parameter itself.
            var parameter = parameters.TryGetValue(key, out var p) ? p : parameters["electra.embeddings.word_embeddings.weight"];
            Assert.True(parameter.grad is not null, $"{name}: no gradient");
            TensorAssert.Close(f.Grads.Read(name), parameter.grad!, Tolerance, name);
        }
        // And nothing the model trains is left unchecked.
        var checkedKeys = expected.Select(n => n[prefix.Length..]).ToHashSet();
        foreach (var key in parameters.Keys) Assert.Contains(key, checkedKeys);
    }
}
