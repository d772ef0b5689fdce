using static TorchSharp.torch;

namespace ElectraLab.Tests.Support;

public static class TensorAssert
{
    /// <summary>Fails with the tensor's name and the worst difference when any element differs by more than tolerance.</summary>
    public static void Close(Tensor expected, Tensor actual, double tolerance, string name)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{name}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        using var diff = (expected.to_type(ScalarType.Float64) - actual.to_type(ScalarType.Float64)).abs().max();
        double worst = diff.item<double>();
        Assert.True(worst <= tolerance, $"{name}: max |diff| {worst:E3} > {tolerance:E1}");
    }

    public static void Identical(Tensor expected, Tensor actual, string name)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{name}: shape differs");
        Assert.Equal(expected.dtype, actual.dtype);
        using var e = expected.contiguous();
        using var a = actual.contiguous();
        Assert.True(e.bytes.SequenceEqual(a.bytes), $"{name}: bytes differ");
    }
}
