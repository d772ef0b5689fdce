namespace ElectraLab.Cluster.Tests;

/// <summary>Cluster tests share two cores: they run one class at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
