using System.Reflection;
using ElectraLab.Api;

namespace ElectraLab.Api.Tests;

/// <summary>
/// The API validates sweep specs with the config core and never loads libtorch: walking the assembly references from
/// the API's own assembly reaches no TorchSharp, no ELECTRA core and no grain implementation (issue 16).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ApiDependencyTests
{
    [Fact]
    public void TheApiReachesNeitherTorchSharpNorElectraNorGrains()
    {
        var reached = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>([typeof(ApiOptions).Assembly.GetName()]);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!reached.Add(name.Name!)) continue;
            // Only our own assemblies are walked: the framework's and packages' references are theirs.
            if (!name.Name!.StartsWith("ElectraLab.", StringComparison.Ordinal)) continue;
            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies()) pending.Push(reference);
        }

        Assert.Contains("ElectraLab.Sweeps", reached);
        Assert.Contains("ElectraLab.Config", reached);
        Assert.DoesNotContain(reached, n => n.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("ElectraLab.Electra", reached);
        Assert.DoesNotContain("ElectraLab.Grains", reached);
    }
}
