namespace ElectraLab.Cli.Commands;

/// <summary>Writes a file that holds a credential: readable by the user only from its first byte, replaced atomically.</summary>
public static class PrivateFile
{
    public static void WriteAllText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
