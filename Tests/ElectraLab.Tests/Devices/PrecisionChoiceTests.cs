using ElectraLab.Config.Devices;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Pretraining;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Devices;

/// <summary>`precision: auto` as a pure function of the features: no test here depends on this machine's CPU or GPU.</summary>
[Trait("Category", "Unit")]
public sealed class PrecisionChoiceTests
{
    private static readonly string[] Avx2Cpu = ["fpu", "sse4_2", "avx", "avx2", "fma", "avx512f"];

    [Fact]
    public void Auto_OnAPlainAvx2Cpu_IsFp32_AndSaysWhy()
    {
        var choice = PrecisionChoice.Resolve("auto", ComputeFeatures.Cpu(Avx2Cpu));
        Assert.Equal("fp32", choice.Resolved);
        Assert.Equal("auto -> fp32 (CPU has no AVX512-BF16/AMX)", choice.Description);
    }

    [Theory]
    [InlineData("avx512_bf16", "auto -> bf16-mixed (CPU has AVX512-BF16)")]
    [InlineData("amx_bf16", "auto -> bf16-mixed (CPU has AMX-BF16)")]
    public void Auto_OnACpuWithNativeBf16_IsBf16Mixed(string flag, string description)
    {
        var choice = PrecisionChoice.Resolve("auto", ComputeFeatures.Cpu([.. Avx2Cpu, flag]));
        Assert.Equal("bf16-mixed", choice.Resolved);
        Assert.Equal(description, choice.Description);
    }

    [Theory]
    [InlineData(true, "bf16-mixed")]
    [InlineData(false, "fp32")]
    public void Auto_OnCuda_FollowsTheDevicesBf16Support(bool bf16, string expected)
    {
        var choice = PrecisionChoice.Resolve("auto", ComputeFeatures.CudaDevice(bf16));
        Assert.Equal(expected, choice.Resolved);
        Assert.Contains("CUDA", choice.Reason);
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16-mixed")]
    public void AnExplicitPrecision_IsKeptWhateverTheMachine(string precision)
    {
        foreach (var features in new[] { ComputeFeatures.Cpu([]), ComputeFeatures.Cpu(["amx_bf16"]), ComputeFeatures.CudaDevice(true), ComputeFeatures.CudaDevice(false) })
        {
            var choice = PrecisionChoice.Resolve(precision, features);
            Assert.Equal(precision, choice.Resolved);
            Assert.Equal(precision, choice.Description);
        }
    }

    [Theory]
    [InlineData("fp16")]
    [InlineData("bf16")]
    [InlineData("AUTO")]
    [InlineData("")]
    public void AnythingElse_IsRejectedNamingTheKeyAndTheChoices(string precision)
    {
        var e = Assert.Throws<ArgumentException>(() => PrecisionChoice.Resolve(precision, ComputeFeatures.Cpu([])));
        Assert.Equal($"config key 'precision': '{precision}' is not one of auto, fp32, bf16-mixed", e.Message);
        Assert.Throws<ArgumentException>(() => new PretrainingConfig { Precision = precision }.Validate());
        Assert.Throws<ArgumentException>(() => new FinetuningConfig { Precision = precision }.Validate());
    }

    [Fact]
    public void TheDefault_IsAuto_ForPretrainingAndFinetuning_AndValidates()
    {
        Assert.Equal("auto", new PretrainingConfig().Validate().Precision);
        Assert.Equal("auto", new FinetuningConfig().Validate().Precision);
        Assert.Equal("auto", PretrainingConfigLoader.Load(null, []).Precision);
    }

    [Fact]
    public void CpuFlags_AreReadFromTheFlagsLineOfCpuinfo()
    {
        var path = Path.Combine(TestPaths.TempDirectory("cpuinfo"), "cpuinfo");
        File.WriteAllText(path, "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512f avx512_bf16\nbugs\t\t: none\n\nprocessor\t: 1\nflags\t\t: fpu\n");
        Assert.Equal(["fpu", "avx2", "avx512f", "avx512_bf16"], ComputeFeatures.ThisCpuFlags(path));
        Assert.True(ComputeFeatures.Cpu(ComputeFeatures.ThisCpuFlags(path)).CpuAvx512Bf16);
        Assert.Empty(ComputeFeatures.ThisCpuFlags(Path.Combine(Path.GetDirectoryName(path)!, "missing")));
    }

    [Fact]
    public void TheResolvedConfig_RecordsTheChoiceAndItsReason_AndReadsBack()
    {
        var choice = PrecisionChoice.Resolve("auto", ComputeFeatures.Cpu(Avx2Cpu));
        var pretraining = new PretrainingConfig().WithPrecision(choice);
        Assert.Equal(("fp32", "auto -> fp32 (CPU has no AVX512-BF16/AMX)"), (pretraining.Precision, pretraining.PrecisionChoiceNote));
        var reread = PretrainingConfigLoader.FromJson(pretraining.ToJson());
        Assert.Equal((pretraining.Precision, pretraining.PrecisionChoiceNote), (reread.Precision, reread.PrecisionChoiceNote));

        var finetuning = new FinetuningConfig().WithPrecision(PrecisionChoice.Resolve("auto", ComputeFeatures.CudaDevice(true)));
        Assert.Equal(("bf16-mixed", "auto -> bf16-mixed (CUDA device with bf16 matmuls)"), (finetuning.Precision, finetuning.PrecisionChoiceNote));
        Assert.Contains("\"precision_choice\": \"auto -> bf16-mixed (CUDA device with bf16 matmuls)\"", finetuning.ToJson());

        // An explicit precision records no choice: nothing was chosen.
        var explicitConfig = new FinetuningConfig { Precision = "fp32" }.WithPrecision(PrecisionChoice.Resolve("fp32", ComputeFeatures.Cpu(["amx_bf16"])));
        Assert.Null(explicitConfig.PrecisionChoiceNote);
        Assert.DoesNotContain("precision_choice", explicitConfig.ToJson());
    }
}
