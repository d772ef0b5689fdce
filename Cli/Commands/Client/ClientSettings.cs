using System.Text.Json;
using System.Text.Json.Serialization;

namespace ElectraLab.Cli.Commands.Client;

/// <summary>
/// What `electralab login` remembers: the server and the caller's API key, in the user's config folder
/// ($XDG_CONFIG_HOME/electralab/client.json, else ~/.config/electralab/client.json), readable by the user only.
/// ELECTRALAB_CONFIG_DIR moves it (tests, several identities).
/// </summary>
public sealed record ClientSettings(string Server, string? ApiKey)
{
    /// <summary>Where the embedded default (`electralab up`) listens unless told otherwise.</summary>
    public const string DefaultServer = "http://127.0.0.1:5080";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Directory
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable("ELECTRALAB_CONFIG_DIR");
            if (!string.IsNullOrWhiteSpace(overridden)) return overridden;
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrWhiteSpace(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config")
                : xdg;
            return Path.Combine(root, "electralab");
        }
    }

    public static string FilePath => Path.Combine(Directory, "client.json");

    /// <summary>The saved settings, or the local stack's address with no key when nothing was saved.</summary>
    public static ClientSettings Load()
    {
        if (!File.Exists(FilePath)) return new ClientSettings(DefaultServer, null);
        try
        {
            return JsonSerializer.Deserialize<ClientSettings>(File.ReadAllText(FilePath), Json)
                ?? throw new InvalidDataException("empty");
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{FilePath} is not valid JSON ({e.Message}); run `electralab login` again");
        }
    }

    /// <summary>Writes the settings with mode 600: the key is a credential.</summary>
    public void Save() => PrivateFile.WriteAllText(FilePath, JsonSerializer.Serialize(this, Json));
}
