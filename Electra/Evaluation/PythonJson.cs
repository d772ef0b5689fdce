// Writes flat metric objects the way Python's json.dumps does, so that `eval squad` prints what the official
// scripts print: floats in repr form (100.0, 0.650934, 1e-05), ints without a decimal point, key order kept.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ElectraLab.Electra.Evaluation;

public static class PythonJson
{
    /// <summary>json.dumps(obj) (indent null) or json.dumps(obj, indent=n) for a flat object of numbers.</summary>
    public static string Dumps(IReadOnlyList<KeyValuePair<string, object?>> items, int? indent = null)
    {
        var builder = new StringBuilder("{");
        for (var i = 0; i < items.Count; i++)
        {
            if (indent is { } n) builder.Append(i == 0 ? "\n" : ",\n").Append(' ', n);
            else if (i > 0) builder.Append(", ");
            builder.Append(JsonSerializer.Serialize(items[i].Key)).Append(": ").Append(Value(items[i].Value));
        }
        if (indent is not null && items.Count > 0) builder.Append('\n');
        return builder.Append('}').ToString();
    }

    private static string Value(object? value) => value switch
    {
        null => "null",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        _ => throw new ArgumentException($"unsupported JSON value {value.GetType().Name}"),
    };

    /// <summary>Python's float repr: shortest round-trip digits, fixed notation for exponents -4..15, else e-notation.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        // "E16" would not be shortest; "R" gives the shortest digits, in either notation, which are re-laid here.
        var text = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exponent; // value = 0.d1d2d3... * 10^exponent
        var e = text.IndexOf('E');
        var mantissa = e >= 0 ? text[..e] : text;
        var shift = e >= 0 ? int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var integerPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fraction = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var all = integerPart + fraction;
        var leadingZeros = all.Length - all.TrimStart('0').Length;
        digits = all.Trim('0');
        exponent = integerPart.Length - leadingZeros + shift;
        var decimalExponent = exponent - 1; // value = d1.d2d3... * 10^decimalExponent
        var sign = value < 0 ? "-" : "";
        if (decimalExponent is >= -4 and < 16)
        {
            string fixedText;
            if (exponent <= 0) fixedText = "0." + new string('0', -exponent) + digits;
            else if (exponent >= digits.Length) fixedText = digits + new string('0', exponent - digits.Length) + ".0";
            else fixedText = digits[..exponent] + "." + digits[exponent..];
            return sign + fixedText;
        }
        var scientific = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
        var exponentSign = decimalExponent < 0 ? "-" : "+";
        return $"{sign}{scientific}e{exponentSign}{Math.Abs(decimalExponent):00}";
    }
}
