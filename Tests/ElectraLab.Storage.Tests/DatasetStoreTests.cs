using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ElectraLab.Storage.Datasets;

namespace ElectraLab.Storage.Tests;

/// <summary>
/// Datasets as content-addressed artifacts: the canonical tar's hash depends on content only (not on the folder, file
/// times, stray files or where the vocabulary sits); an uploaded tar that tries to leave its folder, link, nest or
/// repeat is refused before anything is written; the store keeps one copy per version, verifies every read, and
/// resolves names and hash prefixes within a team only.
/// </summary>
[Trait("Category", "Storage")]
public sealed class DatasetStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private DatasetStore Store => new(database.DataSource,
        new StorageOptions { ConnectionString = database.ConnectionString, CheckpointChunkBytes = 64 * 1024 });

    [Fact]
    public async Task CanonicalHash_DependsOnContentOnly()
    {
        var first = FakeDataset("a", shardBytes: 200_000, vocabOutside: true);
        var second = FakeDataset("b", shardBytes: 200_000, vocabOutside: false);
        foreach (var file in Directory.GetFiles(second)) File.SetLastWriteTimeUtc(file, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        await File.WriteAllTextAsync(Path.Combine(second, "notes.txt"), "not part of the dataset");

        var hash = await DatasetPackage.HashAsync(first);
        Assert.Equal(hash, await DatasetPackage.HashAsync(second));
        var packed = new MemoryStream();
        Assert.Equal(hash, await DatasetPackage.WriteAsync(first, packed, vocabMayBeOutside: true));
        Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(packed.ToArray())));

        // Unpacked and packed again: the same bytes (what the server does with an upload).
        packed.Position = 0;
        var unpacked = Temp("unpacked");
        await DatasetPackage.UnpackAsync(packed, unpacked, maxEntries: 10);
        Assert.Equal(["dataset.json", "shard-00000.bin", "vocab.txt"], Directory.GetFiles(unpacked).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("vocab.txt", JsonNode.Parse(File.ReadAllText(Path.Combine(unpacked, "dataset.json")))!["vocab_file"]!.GetValue<string>());
        Assert.Equal(hash, await DatasetPackage.WriteAsync(unpacked, Stream.Null, vocabMayBeOutside: false));

        // One byte of a shard changes the identity.
        var shard = Path.Combine(second, "shard-00000.bin");
        var bytes = await File.ReadAllBytesAsync(shard);
        bytes[12_345] ^= 1;
        await File.WriteAllBytesAsync(shard, bytes);
        Assert.NotEqual(hash, await DatasetPackage.HashAsync(second));
    }

    [Fact]
    public void Describe_RefusesIncompleteOrInconsistentFolders_NamingTheProblem()
    {
        var changedVocab = FakeDataset("vocab-changed", 1000, vocabOutside: false);
        File.AppendAllText(Path.Combine(changedVocab, "vocab.txt"), "extra\n");
        Assert.Contains("changed since the dataset was prepared", Assert.Throws<InvalidDataException>(() => DatasetPackage.Describe(changedVocab, false)).Message);

        var missingShard = FakeDataset("missing-shard", 1000, vocabOutside: false);
        File.Delete(Path.Combine(missingShard, "shard-00000.bin"));
        Assert.Contains("shard 'shard-00000.bin' named by dataset.json is missing", Assert.Throws<InvalidDataException>(() => DatasetPackage.Describe(missingShard, false)).Message);

        // An uploaded manifest must not point the server at its own files.
        var outside = FakeDataset("outside", 1000, vocabOutside: true);
        Assert.Contains("must be a file of the dataset", Assert.Throws<InvalidDataException>(() => DatasetPackage.Describe(outside, false)).Message);

        var escaping = FakeDataset("escaping", 1000, vocabOutside: false);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(escaping, "dataset.json")))!.AsObject();
        manifest["shards"]![0]!["file"] = "../../etc/passwd";
        File.WriteAllText(Path.Combine(escaping, "dataset.json"), manifest.ToJsonString());
        Assert.Contains("is not a file name", Assert.Throws<InvalidDataException>(() => DatasetPackage.Describe(escaping, false)).Message);

        var broken = Temp("broken");
        File.WriteAllText(Path.Combine(broken, "dataset.json"), "{\"vocab_file\": ");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => DatasetPackage.Describe(broken, false)).Message);
        Assert.Contains("no dataset.json", Assert.Throws<InvalidDataException>(() => DatasetPackage.Describe(Temp("empty"), false)).Message);
    }

    public static TheoryData<string> HostileTars => ["traversal", "absolute", "nested", "symlink", "hardlink", "directory", "duplicate", "too-many"];

    [Theory, MemberData(nameof(HostileTars))]
    public async Task Unpack_RefusesHostileEntries_AndWritesNothingOutsideItsFolder(string kind)
    {
        var root = Temp("hostile");
        var folder = Path.Combine(root, "inside");
        var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            TarEntry File(string name, string text = "x") => new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
            var entries = kind switch
            {
                "traversal" => [File("../escaped.txt")],
                "absolute" => [File(Path.Combine(root, "escaped.txt"))],
                "nested" => [File("sub/escaped.txt")],
                "symlink" => [new PaxTarEntry(TarEntryType.SymbolicLink, "vocab.txt") { LinkName = "/etc/passwd" }],
                "hardlink" => [new PaxTarEntry(TarEntryType.HardLink, "vocab.txt") { LinkName = "/etc/passwd" }],
                "directory" => [new PaxTarEntry(TarEntryType.Directory, "sub")],
                "duplicate" => [File("dataset.json", "{}"), File("dataset.json", "{\"again\": 1}")],
                _ => Enumerable.Range(0, 4).Select(i => File($"f{i}")).ToArray(),
            };
            foreach (var entry in entries) await writer.WriteEntryAsync(entry);
        }
        tar.Position = 0;
        await Assert.ThrowsAsync<InvalidDataException>(() => DatasetPackage.UnpackAsync(tar, folder, maxEntries: 3));
        Assert.False(System.IO.File.Exists(Path.Combine(root, "escaped.txt")));
        Assert.Equal([folder], Directory.GetFileSystemEntries(root));
        Assert.All(Directory.GetFiles(folder), f => Assert.DoesNotContain("passwd", f));
    }

    [SkippableFact]
    public async Task Store_KeepsOneCopyPerVersion_VerifiesReads_AndResolvesWithinTheTeam()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var other = await database.AddTeamAsync();
        var folder = FakeDataset("stored", shardBytes: 300_000, vocabOutside: true);
        var (tar, sha) = await PackAsync(folder);

        var (info, created) = await Store.StoreAsync(team.Id, "wiki", sha, DatasetPackage.Describe(folder, true), tar, null);
        Assert.True(created);
        Assert.Equal($"wiki@{sha}", info.Reference);
        Assert.Equal(tar.Length, info.Bytes);
        Assert.Equal(7, info.Examples);
        Assert.Equal(12, info.VocabSize);
        tar.Position = 0;
        var (again, createdAgain) = await Store.StoreAsync(team.Id, "wiki", sha, DatasetPackage.Describe(folder, true), tar, null);
        Assert.False(createdAgain);
        Assert.Equal(info.Id, again.Id);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM datasets WHERE team_id = $1", team.Id));

        await using (var read = await Store.OpenReadAsync(info))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(tar.ToArray(), copy.ToArray());
        }

        // A second version: the bare name means the newest; a prefix picks one; another team sees neither.
        var changed = FakeDataset("stored-2", shardBytes: 300_001, vocabOutside: true);
        var (tar2, sha2) = await PackAsync(changed);
        await Store.StoreAsync(team.Id, "wiki", sha2, DatasetPackage.Describe(changed, true), tar2, null);
        Assert.Equal(sha2, (await Store.ResolveAsync(team.Name, "wiki", null))!.Sha256);
        Assert.Equal(sha, (await Store.ResolveAsync(team.Name, "wiki", sha[..8]))!.Sha256);
        var wrong = (sha[0] == '0' ? "1" : "0") + sha[1..8];
        Assert.Null(await Store.ResolveAsync(team.Name, "wiki", wrong));
        Assert.Null(await Store.ResolveAsync(other.Name, "wiki", null));
        Assert.Empty(await Store.ListAsync(other.Id));
        Assert.Equal([sha2, sha], (await Store.ListAsync(team.Id, "wiki")).Select(d => d.Sha256));

        // Content that does not match the hash it claims is refused, and leaves nothing behind.
        tar.Position = 0;
        await Assert.ThrowsAsync<InvalidDataException>(() => Store.StoreAsync(team.Id, "liar", sha2, DatasetPackage.Describe(folder, true), tar, null));
        Assert.Empty(await Store.ListAsync(team.Id, "liar"));

        // A chunk changed in the database is caught by the read's hash check.
        await using (var corrupt = database.DataSource.CreateCommand(
            "UPDATE dataset_chunks SET data = set_byte(data, 10, (get_byte(data, 10) + 1) % 256) WHERE dataset_id = $1 AND index = 2"))
        {
            corrupt.Parameters.Add(new() { Value = info.Id });
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }
        await using var corrupted = await Store.OpenReadAsync(info);
        Assert.Contains("is corrupt", (await Assert.ThrowsAsync<InvalidDataException>(() => corrupted.CopyToAsync(Stream.Null))).Message);
    }

    private static async Task<(MemoryStream Tar, string Sha)> PackAsync(string folder)
    {
        var tar = new MemoryStream();
        var sha = await DatasetPackage.WriteAsync(folder, tar, vocabMayBeOutside: true);
        tar.Position = 0;
        return (tar, sha);
    }

    /// <summary>A folder shaped like `data prepare`'s output: manifest, one shard of random bytes, a 12-token vocabulary.</summary>
    private static string FakeDataset(string name, int shardBytes, bool vocabOutside)
    {
        var folder = Temp(name);
        var vocabText = string.Join('\n', "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cat", "sat", "on", "mat", "##s") + "\n";
        var vocabPath = vocabOutside ? Path.Combine(Temp(name + "-vocab"), "vocab-somewhere.txt") : Path.Combine(folder, "vocab.txt");
        File.WriteAllText(vocabPath, vocabText);
        var shard = new byte[shardBytes];
        new Random(42).NextBytes(shard);
        File.WriteAllBytes(Path.Combine(folder, "shard-00000.bin"), shard);
        var manifest = new JsonObject
        {
            ["format_version"] = 1, ["max_seq_length"] = 32, ["seed"] = 1, ["lower_case"] = true, ["strip_accents"] = true,
            ["max_input_chars_per_word"] = 200, ["vocab_file"] = vocabOutside ? vocabPath : "vocab.txt",
            ["vocab_sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(vocabText))), ["vocab_size"] = 12,
            ["example_count"] = 7, ["token_count"] = 200,
            ["shards"] = new JsonArray(new JsonObject { ["file"] = "shard-00000.bin", ["examples"] = 7, ["tokens"] = 200, ["source"] = "x" }),
            ["sources"] = new JsonArray(),
        };
        File.WriteAllText(Path.Combine(folder, "dataset.json"), manifest.ToJsonString());
        return folder;
    }

    private static string Temp(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "electralab-dataset-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
