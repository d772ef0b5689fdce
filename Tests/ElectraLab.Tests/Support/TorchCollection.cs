namespace ElectraLab.Tests.Support;

/// <summary>TorchSharp tests share one native runtime and its thread pool: run them one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "Torch";
}
