namespace ElectraLab.Storage.Tests;
internal static class Placeholder { }
