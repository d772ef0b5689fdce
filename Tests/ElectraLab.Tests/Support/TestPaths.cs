namespace ElectraLab.Tests.Support;

/// <summary>Where the repository and ../shared are, found from the test binary so any working directory works.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string HfFixtures =>
        Environment.GetEnvironmentVariable("ELECTRALAB_HF_FIXTURES") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(Shared, "fixtures", "hf-electra");

    public static string TempDirectory(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "electralab-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ElectraLab.sln"))) return dir.FullName;
        throw new InvalidOperationException($"ElectraLab.sln not found above {AppContext.BaseDirectory}");
    }
}
