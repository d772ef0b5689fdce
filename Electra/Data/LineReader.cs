// Reads a UTF-8 text file line by line the way Python's file iteration under TensorFlow's GFile does: lines end at
// '\n' only (a lone '\r' or U+2028 stays inside the line, where stripping or the tokenizer treats it as space),
// so line and document boundaries match the official builder's. Reports bytes consumed for progress bars.
//
// Encoding: UTF-8 (a BOM is honoured). A file that is not valid UTF-8 is read as Windows-1252, the usual legacy
// encoding of English text (Project Gutenberg's older files among them): decoding it as UTF-8 would turn every
// curly quote and accented letter into U+FFFD, which BERT's _clean_text then deletes ("don't" -> "dont").
using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace ElectraLab.Electra.Data;

public sealed class LineReader : IDisposable
{
    private readonly FileStream _stream;
    private readonly StreamReader _reader;
    private readonly char[] _chunk = new char[1 << 16];
    private readonly StringBuilder _line = new();
    private int _position;
    private int _length;

    public LineReader(string path)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Encoding = IsUtf8(_stream) ? new UTF8Encoding(false, false) : Windows1252.Value;
        _stream.Position = 0;
        _reader = new StreamReader(_stream, Encoding, detectEncodingFromByteOrderMarks: true, 1 << 16);
    }

    private static readonly Lazy<Encoding> Windows1252 = new(() =>
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    });

    /// <summary>The encoding chosen for a file without a byte-order mark.</summary>
    public Encoding Encoding { get; }

    // One streaming pass of UTF-8 validation; a sequence cut by the chunk boundary is carried into the next chunk.
    private static bool IsUtf8(Stream stream)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(1 << 16);
        var chars = ArrayPool<char>.Shared.Rent(1 << 16);
        try
        {
            int carried = 0;
            while (true)
            {
                int read = stream.Read(bytes, carried, (1 << 16) - carried);
                bool final = read == 0;
                int available = carried + read;
                var status = Utf8.ToUtf16(bytes.AsSpan(0, available), chars, out int consumed, out _, replaceInvalidSequences: false, isFinalBlock: final);
                if (status == OperationStatus.InvalidData) return false;
                if (final) return status == OperationStatus.Done;
                carried = available - consumed;
                bytes.AsSpan(consumed, carried).CopyTo(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Bytes of the file read so far (a buffer ahead of the lines returned).</summary>
    public long BytesRead => _stream.Position;

    public string? ReadLine()
    {
        _line.Clear();
        while (true)
        {
            if (_position == _length)
            {
                _length = _reader.Read(_chunk, 0, _chunk.Length);
                _position = 0;
                if (_length == 0) return _line.Length > 0 ? _line.ToString() : null;
            }
            int newline = Array.IndexOf(_chunk, '\n', _position, _length - _position);
            if (newline < 0)
            {
                _line.Append(_chunk, _position, _length - _position);
                _position = _length;
                continue;
            }
            _line.Append(_chunk, _position, newline - _position);
            _position = newline + 1;
            return _line.ToString();
        }
    }

    public void Dispose() => _reader.Dispose();
}
