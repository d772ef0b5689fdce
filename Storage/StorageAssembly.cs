namespace ElectraLab.Storage;
// Placeholder so the project builds before the storage work lands.
internal static class StorageAssembly { }
