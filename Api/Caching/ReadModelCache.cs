using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ElectraLab.Api.Caching;

/// <summary>A read model as it goes on the wire, and the change-listener version it was read at.</summary>
public sealed record CachedRead(long Version, byte[] Body, string ETag);

/// <summary>
/// Serialized read models by key (the caller's team, path and query string). An entry is good only at the version it
/// was read at; it is replaced by the next read after a change.
/// </summary>
public sealed class ReadModelCache(IOptions<ApiOptions> options)
{
    private readonly ConcurrentDictionary<string, CachedRead> _entries = new(StringComparer.Ordinal);

    public bool Enabled => options.Value.ReadCacheEntries > 0;

    public CachedRead? Get(string key, long version) =>
        _entries.TryGetValue(key, out var entry) && entry.Version == version ? entry : null;

    public void Set(string key, CachedRead read)
    {
        if (!Enabled) return;
        // Keys come from query strings, so the set is unbounded; at the cap everything goes (it is a cache, and a full
        // one is mostly entries of past versions) rather than keeping bookkeeping for an eviction order on every hit.
        if (!_entries.ContainsKey(key) && _entries.Count >= options.Value.ReadCacheEntries) _entries.Clear();
        _entries[key] = read;
    }
}
