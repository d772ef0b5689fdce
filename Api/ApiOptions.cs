using System.ComponentModel.DataAnnotations;
using ElectraLab.Sweeps;

namespace ElectraLab.Api;

/// <summary>The API's settings, bound from <c>ElectraLab:Api</c> and validated at start-up.</summary>
public sealed class ApiOptions
{
    public const string Section = "ElectraLab:Api";

    /// <summary>
    /// The bootstrap key: it may create teams, users and keys, and nothing else (it belongs to no team, so it reads no
    /// team's data). Unset: no admin; teams and keys are then created by existing team members only.
    /// </summary>
    [MinLength(16)]
    public string? AdminKey { get; set; }

    /// <summary>"client": connect to the cluster as an Orleans client (default); "none": the host provides
    /// IClusterClient (co-hosted in a silo, or tests).</summary>
    [RegularExpression("^(client|none)$")]
    public string Orleans { get; set; } = "client";

    /// <summary>The largest sweep spec accepted, in bytes.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxSpecBytes { get; set; } = 256 * 1024;

    /// <summary>The largest dataset tar `POST /api/datasets/{name}` accepts, in bytes (it is spooled to a temporary file, not memory).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxDatasetBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>The most experiments one sweep may expand to (trials × pre-training seeds).</summary>
    [Range(1, ElectraLab.Sweeps.SweepSpecLoader.MaxExperimentsCeiling)]
    public int MaxExperimentsPerSweep { get; set; } = 512;

    /// <summary>How long an authenticated key is trusted without asking the database again (revocation through this
    /// API takes effect at once; a key revoked directly in the database within this time).</summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a live-update stream looks for changes.</summary>
    public TimeSpan EventPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many serialized leaderboard, experiment-list and experiment answers the API keeps (each valid until the
    /// next change to what it was read from, as PostgreSQL reports it); 0 turns the cache off (ETags stay).
    /// </summary>
    [Range(0, 1_000_000)]
    public int ReadCacheEntries { get; set; } = 10_000;
}
