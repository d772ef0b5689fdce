namespace ElectraLab.Storage.ReadModels;

/// <summary>
/// The PostgreSQL notification channel that tells API instances their cached read models may be stale. The
/// <c>ReadModelChangeNotifications</c> migration's triggers send an empty payload on every change; a listener's own
/// round-trip markers carry <see cref="MarkerPrefix"/>, so they are never mistaken for a change.
/// </summary>
public static class ReadModelChannel
{
    public const string Name = "electralab_read_models";

    public const string MarkerPrefix = "marker:";
}
