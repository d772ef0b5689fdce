using System.Text.Json.Nodes;
using ElectraLab.Cli;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Devices;

/// <summary>`electralab bench finetune` runs the fine-tuning step and prints its figures; no timing is asserted.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class FinetuneBenchTests
{
    [Theory]
    [InlineData("sst2")]
    [InlineData("mrpc")]
    public void OneStep_PrintsOneJsonObjectWithTheFigures(string task)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(["bench", "finetune", "--task", task, "--batch", "2", "--seq", "16", "--warmup", "0", "--steps", "1",
            "--eval-batch", "2", "--eval-steps", "1", "--threads", "1", "--precision", "fp32", "--device", "cpu", "--json"], output, error);
        Assert.True(code == 0, error.ToString());

        var json = JsonNode.Parse(output.ToString().Trim())!.AsObject();
        Assert.Equal(task, (string?)json["task"]);
        Assert.Equal(("fp32", "fp32"), ((string?)json["precision"], (string?)json["precision_requested"]));
        Assert.Equal((2, 16, 1), ((int)json["batch"]!, (int)json["seq"]!, (int)json["steps"]!));
        // The reference script's count for batch 2, seq 16: 6·(12·(4·256² + 2·256·1024) + 128·256)·32 + 6·(256² + 2·256)·2 + 12·12·16²·256·2.
        Assert.Equal(6.0 * (12 * (4 * 256 * 256 + 2 * 256 * 1024) + 128 * 256) * 32 + 6.0 * (256 * 256 + 512) * 2 + 12.0 * 12 * 256 * 256 * 2,
            (double)json["flops_per_step"]!);
        foreach (var key in new[] { "seconds_per_step", "examples_per_second", "tokens_per_second", "achieved_gflops", "matmul_gflops", "achieved_over_matmul" })
            Assert.True((double)json[key]! > 0, key);
        Assert.Equal(["forward+loss", "backward", "clip+update"], json["profile_ms"]!.AsObject().Select(p => p.Key));
        var eval = json["eval"]!.AsObject();
        Assert.Equal(2, (int)eval["batch"]!);
        Assert.True((double)eval["examples_per_second"]! > 0);
        Assert.True((double)eval["achieved_over_matmul"]! > 0);
    }
}
