// MSBuild inline task (RoslynCodeTaskFactory). Why it exists: ../shared/docs/PLATFORM.md, "TorchSharp does not
// load on Debian 12 as shipped". libLibTorchSharp.so asks libstdc++ for GLIBCXX_3.4.32 only for the marker
// symbol _ZSt21ios_base_library_initv, which carries no relocation. Debian 12's libstdc++ stops at 3.4.30, so
// the loader refuses the library. Marking that one version requirement weak (VER_FLG_WEAK in its Elf64_Vernaux
// entry of .gnu.version_r) makes the loader accept it. The patch is idempotent and touches only the copies in
// the build or publish output, never the NuGet cache.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenGlibcxxVersion : Task
{
    const ushort VerFlagWeak = 0x2;
    const uint ShtGnuVerneed = 0x6ffffffe;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Version { get; set; } = "";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var result = Patch(path, Version);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {result}");
            }
            catch (Exception e)
            {
                Log.LogError($"Could not mark {Version} weak in {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    static string Patch(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        ulong shoff = BitConverter.ToUInt64(bytes, 0x28);
        int shentsize = BitConverter.ToUInt16(bytes, 0x3A);
        int shnum = BitConverter.ToUInt16(bytes, 0x3C);

        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(bytes, sh + 4) != ShtGnuVerneed) continue;

            int offset = checked((int)BitConverter.ToUInt64(bytes, sh + 0x18));
            int link = (int)BitConverter.ToUInt32(bytes, sh + 0x28);
            int entries = (int)BitConverter.ToUInt32(bytes, sh + 0x2C); // sh_info = number of Verneed entries
            int strtab = checked((int)BitConverter.ToUInt64(bytes, (int)shoff + link * shentsize + 0x18));

            int need = offset;
            for (int n = 0; n < entries; n++)
            {
                int auxCount = BitConverter.ToUInt16(bytes, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(bytes, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string name = ReadCString(bytes, strtab + (int)BitConverter.ToUInt32(bytes, aux + 8));
                    if (name == version)
                    {
                        ushort flags = BitConverter.ToUInt16(bytes, aux + 4);
                        if ((flags & VerFlagWeak) != 0) return $"{version} already weak";
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(bytes, aux + 4);
                        // Write a new file and move it into place: never a torn library, never a write through a hard link.
                        var tmp = path + ".patching";
                        File.WriteAllBytes(tmp, bytes);
                        File.Delete(path);
                        File.Move(tmp, path);
                        return $"{version} marked weak";
                    }
                    aux += (int)BitConverter.ToUInt32(bytes, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(bytes, need + 12);
            }
            return $"no {version} requirement";
        }
        return "no .gnu.version_r section";
    }

    static string ReadCString(byte[] bytes, int start)
    {
        int end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }
}
