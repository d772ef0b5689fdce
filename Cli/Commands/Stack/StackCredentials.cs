using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Cli.Commands.Client;

namespace ElectraLab.Cli.Commands.Stack;

/// <summary>
/// The local stack's keys, kept in &lt;data-root&gt;/credentials.json (mode 600): the admin key the API bootstraps from,
/// and the key of the local user in team "local", created through the API the first time and reused afterwards.
/// </summary>
public sealed class StackCredentials
{
    private readonly string _file;

    private StackCredentials(string file, string adminKey, string? userKey)
    {
        _file = file;
        AdminKey = adminKey;
        UserKey = userKey;
    }

    public string AdminKey { get; }

    /// <summary>Where the keys are kept (the dashboard's password is the admin key in it).</summary>
    public string FilePath => _file;

    public string? UserKey { get; private set; }

    public static StackCredentials Load(string dataRoot)
    {
        var file = Path.Combine(dataRoot, "credentials.json");
        if (File.Exists(file) && JsonNode.Parse(File.ReadAllText(file)) is JsonObject saved && saved["adminKey"]?.GetValue<string>() is { } admin)
        {
            return new StackCredentials(file, admin, saved["userKey"]?.GetValue<string>());
        }
        var credentials = new StackCredentials(file, "elab_admin_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)), null);
        credentials.Save();
        return credentials;
    }

    public async Task<string> EnsureUserKeyAsync(Uri server, CancellationToken cancellationToken)
    {
        if (UserKey is not null)
        {
            using var user = new ElectraLabClient(server.ToString(), UserKey);
            try
            {
                await user.GetAsync("api/me", cancellationToken);
                return UserKey;
            }
            catch (ClientException)
            {
                // Revoked, or a new database: make a new one below.
            }
        }
        using var admin = new ElectraLabClient(server.ToString(), AdminKey);
        var teams = await admin.GetAsync("api/teams", cancellationToken);
        var team = teams.AsArray().FirstOrDefault(t => t?["name"]?.GetValue<string>() == EmbeddedStack.Team)
                   ?? await admin.PostJsonAsync("api/teams", new JsonObject { ["name"] = EmbeddedStack.Team }, cancellationToken);
        var name = string.IsNullOrWhiteSpace(Environment.UserName) ? "researcher" : Environment.UserName;
        var created = await admin.PostJsonAsync($"api/teams/{team["id"]}/users",
            new JsonObject { ["name"] = name, ["email"] = $"{name}-{Guid.NewGuid():N}@localhost" }, cancellationToken);
        UserKey = created["apiKey"]!["key"]!.GetValue<string>();
        Save();
        return UserKey;
    }

    private void Save() => PrivateFile.WriteAllText(_file,
        new JsonObject { ["adminKey"] = AdminKey, ["userKey"] = UserKey }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
