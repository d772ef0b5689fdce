// The smallest x86-64 ELF shared object the dynamic loader accepts that exports one function,
// `int mkl_serv_intel_cpu_true(void) { return 1; }` (see MklVendorCheck for why). Laid out by hand instead of built
// with a C compiler so that it exists wherever the .NET runtime does; it has no relocations and no dependencies, so
// the whole image is: ELF header, four program headers, a SysV hash table, two symbols, their names, six bytes of
// code, and the dynamic section in a writable segment of its own (glibc before 2.35 writes to it when loading).
using System.Text;

namespace ElectraLab.Electra;

public static class MklVendorCheckLibrary
{
    public const string Symbol = "mkl_serv_intel_cpu_true";

    // Byte offsets in the file; the first segment is mapped at address 0, so they are also its addresses.
    private const int ProgramHeaders = 0x40, ProgramHeaderSize = 56, ProgramHeaderCount = 4;
    private const int Hash = 0x120, SymbolTable = 0x138, StringTable = 0x168, Code = 0x188, Dynamic = 0x190;
    private const int SymbolSize = 24, DynamicEntries = 6;
    // The dynamic section's segment sits one page higher than its file offset (same offset modulo the page size).
    private const long DynamicAddress = 0x1000 + Dynamic;

    private static readonly byte[] ReturnOne = [0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3]; // mov eax, 1; ret

    /// <summary>The shared object's bytes.</summary>
    public static byte[] Image()
    {
        byte[] names = Encoding.ASCII.GetBytes("\0" + Symbol + "\0");
        var image = new byte[Dynamic + DynamicEntries * 16];
        var w = new BinaryWriter(new MemoryStream(image));

        // ELF header: 64-bit, little-endian, System V, a shared object for x86-64, no section headers.
        w.Write([0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        w.Write((ushort)3);          // ET_DYN
        w.Write((ushort)62);         // EM_X86_64
        w.Write(1u);                 // EV_CURRENT
        w.Write(0UL);                // no entry point
        w.Write((ulong)ProgramHeaders);
        w.Write(0UL);                // no section headers
        w.Write(0u);                 // flags
        w.Write((ushort)64);         // header size
        w.Write((ushort)ProgramHeaderSize);
        w.Write((ushort)ProgramHeaderCount);
        w.Write((ushort)64);         // section header size (none follow)
        w.Write((ushort)0);
        w.Write((ushort)0);

        const uint R = 4, W = 2, X = 1;
        WriteSegment(w, type: 1, flags: R | X, offset: 0, address: 0, size: Code + ReturnOne.Length, align: 0x1000);            // PT_LOAD
        WriteSegment(w, type: 1, flags: R | W, offset: Dynamic, address: DynamicAddress, size: DynamicEntries * 16, align: 0x1000); // PT_LOAD
        WriteSegment(w, type: 2, flags: R | W, offset: Dynamic, address: DynamicAddress, size: DynamicEntries * 16, align: 8);  // PT_DYNAMIC
        // PT_GNU_STACK without X: otherwise the loader assumes the library needs an executable stack.
        WriteSegment(w, type: 0x6474E551, flags: R | W, offset: 0, address: 0, size: 0, align: 16);

        // SysV hash: one bucket holding symbol 1; both chains end.
        w.Seek(Hash, SeekOrigin.Begin);
        foreach (uint word in new uint[] { 1, 2, 1, 0, 0 }) w.Write(word);

        // Symbol 0 is the null symbol; symbol 1 a global function in "section 1" (any index but UNDEF and ABS makes
        // the loader add the load address to its value).
        w.Seek(SymbolTable + SymbolSize, SeekOrigin.Begin);
        w.Write(1u);                 // name: offset 1 in the string table
        w.Write((byte)0x12);         // STB_GLOBAL, STT_FUNC
        w.Write((byte)0);            // default visibility
        w.Write((ushort)1);
        w.Write((ulong)Code);
        w.Write((ulong)ReturnOne.Length);

        w.Seek(StringTable, SeekOrigin.Begin);
        w.Write(names);
        w.Seek(Code, SeekOrigin.Begin);
        w.Write(ReturnOne);

        w.Seek(Dynamic, SeekOrigin.Begin);
        foreach (var (tag, value) in new (long, long)[] { (4, Hash), (5, StringTable), (6, SymbolTable), (10, names.Length), (11, SymbolSize), (0, 0) })
        {
            w.Write(tag);            // DT_HASH, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_NULL
            w.Write(value);
        }
        return image;
    }

    /// <summary>
    /// Writes the image to a new file only this user can write (a random name: nobody can plant a library at a
    /// predictable path) and returns its path. The caller loads it and may delete it afterwards.
    /// </summary>
    public static string Write()
    {
        string path = Path.GetTempFileName();
        File.WriteAllBytes(path, Image());
        return path;
    }

    private static void WriteSegment(BinaryWriter w, uint type, uint flags, long offset, long address, long size, long align)
    {
        w.Write(type);
        w.Write(flags);
        w.Write(offset);
        w.Write(address);
        w.Write(address);            // physical address: unused
        w.Write(size);               // bytes in the file
        w.Write(size);               // bytes in memory
        w.Write(align);
    }
}
