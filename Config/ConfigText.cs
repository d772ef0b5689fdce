// Reads config and sweep-spec text (YAML or JSON) into JSON nodes within limits, so that no file or request body can
// exhaust the stack, the memory or the time of whoever reads it. Both formats are read as event streams (YamlDotNet's
// Parser, System.Text.Json's Utf8JsonReader) and built with an explicit stack: nesting depth, alias count, node count
// (aliases counted as what they expand to) and string length are checked before anything larger is built. Every
// rejection names where it happened (`search.grid.mask_prob[1]`, `$` for the whole text).
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ElectraLab.Config;

/// <summary>How much structure one config text may hold. A sweep spec needs depth 5 and a few hundred nodes.</summary>
public sealed record ConfigTextLimits(int MaxDepth = 64, int MaxAliases = 32, int MaxNodes = 100_000, int MaxStringLength = 4096)
{
    public static ConfigTextLimits Default { get; } = new();
}

/// <summary>Text that is not a well-formed config, or exceeds <see cref="ConfigTextLimits"/>; <see cref="Path"/> says where.</summary>
public sealed class ConfigTextException(string path, string problem, Exception? inner = null)
    : FormatException($"{path}: {problem}", inner)
{
    /// <summary>`$` for the whole text, else the dotted path of the key (`base.mask_prob`, `seeds.pretraining[2]`).</summary>
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}

public static partial class ConfigText
{
    /// <summary>The first YAML document as JSON nodes (null for an empty text); scalars typed by the YAML 1.2 core schema.</summary>
    public static JsonNode? ParseYaml(string text, ConfigTextLimits? limits = null)
    {
        var tree = new TreeBuilder(limits ?? ConfigTextLimits.Default);
        var parser = new Parser(new StringReader(text));
        var documents = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case DocumentStart:
                        if (++documents > 1) throw new ConfigTextException("$", "holds more than one YAML document");
                        break;
                    case Scalar key when tree.ExpectsKey:
                        tree.Key(key.Value);
                        break;
                    case NodeEvent or AnchorAlias when tree.ExpectsKey:
                        throw new ConfigTextException(tree.Here, "a mapping key must be a plain value, not a list, mapping or alias");
                    case MappingStart m:
                        tree.Start(new JsonObject(), Anchor(m.Anchor));
                        break;
                    case SequenceStart s:
                        tree.Start(new JsonArray(), Anchor(s.Anchor));
                        break;
                    case MappingEnd or SequenceEnd:
                        tree.End();
                        break;
                    case Scalar scalar:
                        tree.Value(YamlScalar(tree, scalar), Anchor(scalar.Anchor));
                        break;
                    case AnchorAlias alias:
                        tree.Alias(alias.Value.Value);
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            throw new ConfigTextException("$", $"not valid YAML: {e.Message}", e);
        }
        catch (Exception e) when (e is (ArgumentException or InvalidOperationException or FormatException or OverflowException)
                                      and not ConfigTextException)
        {
            // YamlDotNet may report malformed text as one of these rather than a YamlException; the text is at fault.
            throw new ConfigTextException("$", $"not valid YAML at line {parser.Current?.Start.Line}: {e.Message}", e);
        }
        return tree.Root;
    }

    /// <summary>One JSON value as JSON nodes; duplicate keys, non-finite numbers and lone surrogates are errors.</summary>
    public static JsonNode? ParseJson(string text, ConfigTextLimits? limits = null)
    {
        limits ??= ConfigTextLimits.Default;
        var tree = new TreeBuilder(limits);
        // The reader's own depth limit sits one above ours, so ours (which names the path) fires first.
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { MaxDepth = limits.MaxDepth + 2 });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        tree.Start(new JsonObject(), null);
                        break;
                    case JsonTokenType.StartArray:
                        tree.Start(new JsonArray(), null);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        tree.End();
                        break;
                    case JsonTokenType.PropertyName:
                        tree.Key(JsonString(tree, ref reader));
                        break;
                    case JsonTokenType.String:
                        tree.Value(JsonValue.Create(tree.Checked(JsonString(tree, ref reader))), null);
                        break;
                    case JsonTokenType.Number:
                        tree.Value(JsonNumber(tree, ref reader), null);
                        break;
                    case JsonTokenType.True or JsonTokenType.False:
                        tree.Value(JsonValue.Create(reader.GetBoolean()), null);
                        break;
                    case JsonTokenType.Null:
                        tree.Value(null, null);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new ConfigTextException("$", JsonFiles.Describe(e), e);
        }
        return tree.Root;
    }

    private static string? Anchor(AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

    private static string JsonString(TreeBuilder tree, ref Utf8JsonReader reader)
    {
        // Checked on the raw bytes first, so a huge string is never unescaped.
        if (reader.ValueSpan.Length > 6 * tree.Limits.MaxStringLength) throw tree.TooLong();
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigTextException(tree.Here, "holds an invalid character (a lone surrogate?)", e);
        }
    }

    private static JsonNode JsonNumber(TreeBuilder tree, ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > 64) throw new ConfigTextException(tree.Here, "is a number with too many digits");
        var raw = Encoding.ASCII.GetString(reader.ValueSpan);
        if (!reader.TryGetInt64(out _) && !double.IsFinite(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture)))
            throw new ConfigTextException(tree.Here, $"{raw} is beyond the range of a number");
        // Kept as the text it was written as (1.0 stays 1.0, so it stays a non-integer).
        return JsonValue.Create(JsonElement.Parse(raw))!;
    }

    /// <summary>YAML 1.2 core schema: quoted scalars are strings; plain ones may be null, booleans or numbers.</summary>
    private static JsonNode? YamlScalar(TreeBuilder tree, Scalar scalar)
    {
        var value = tree.Checked(scalar.Value);
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (YamlInfinityOrNan().IsMatch(value)) throw new ConfigTextException(tree.Here, $"{value} is not a finite number");
        if (YamlInteger().IsMatch(value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (YamlInteger().IsMatch(value) || YamlFloat().IsMatch(value))
        {
            if (value.Length > 64) throw new ConfigTextException(tree.Here, "is a number with too many digits");
            var d = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(d)) throw new ConfigTextException(tree.Here, $"{value} is beyond the range of a number");
            return JsonValue.Create(d);
        }
        return JsonValue.Create(value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex YamlInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();

    [GeneratedRegex(@"^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")]
    private static partial Regex YamlInfinityOrNan();

    /// <summary>Builds the tree from start/key/value/end events with an explicit stack, checking every limit as it goes.</summary>
    private sealed class TreeBuilder(ConfigTextLimits limits)
    {
        private sealed class Frame(JsonNode container, string path, string? anchor, int firstNode)
        {
            public JsonNode Container { get; } = container;
            public string Path { get; } = path;
            public string? Anchor { get; } = anchor;
            public int FirstNode { get; } = firstNode;
            public string? Key { get; set; }
            /// <summary>How deep the finished children go below this node (for an anchor's expansion depth).</summary>
            public int Height { get; set; }
        }

        private readonly Stack<Frame> _stack = new();
        private readonly Dictionary<string, (JsonNode? Node, int Nodes, int Height)> _anchors = new(StringComparer.Ordinal);
        private int _nodes;
        private int _aliases;
        private bool _done;

        public ConfigTextLimits Limits => limits;
        public JsonNode? Root { get; private set; }

        public bool ExpectsKey => _stack.TryPeek(out var top) && top.Container is JsonObject && top.Key is null;

        /// <summary>Where the next value goes: `$` at the top, else the parent's path plus the key or index.</summary>
        public string Here
        {
            get
            {
                if (!_stack.TryPeek(out var top)) return "$";
                if (top.Container is JsonObject) return top.Key is null ? top.Path : Child(top.Path, top.Key);
                var index = $"[{((JsonArray)top.Container).Count}]";
                return top.Path == "$" ? "$" + index : top.Path + index;
            }
        }

        public void Start(JsonNode container, string? anchor)
        {
            if (_stack.Count >= limits.MaxDepth) throw new ConfigTextException(Here, $"nests deeper than {limits.MaxDepth} levels");
            Count(1);
            _stack.Push(new Frame(container, Here, anchor, _nodes));
        }

        public void Key(string key)
        {
            var top = _stack.Peek();
            Checked(key);
            if (((JsonObject)top.Container).ContainsKey(key)) throw new ConfigTextException(Child(top.Path, key), "is a repeated key");
            top.Key = key;
        }

        public void End()
        {
            var frame = _stack.Pop();
            Place(frame.Container, frame.Anchor, _nodes - frame.FirstNode + 1, frame.Height + 1);
        }

        public void Value(JsonNode? value, string? anchor)
        {
            Count(1);
            Place(value, anchor, 1, 0);
        }

        /// <summary>An alias is a copy of its anchor's node, counted as every node it holds; it must be finished already.</summary>
        public void Alias(string anchor)
        {
            if (!_anchors.TryGetValue(anchor, out var target))
                throw new ConfigTextException(Here, $"*{anchor} refers to no finished anchor (an alias cannot refer to itself)");
            if (++_aliases > limits.MaxAliases) throw new ConfigTextException(Here, $"uses more than {limits.MaxAliases} aliases");
            if (_stack.Count + target.Height > limits.MaxDepth) throw new ConfigTextException(Here, $"nests deeper than {limits.MaxDepth} levels");
            Count(target.Nodes);
            Place(target.Node?.DeepClone(), null, target.Nodes, target.Height);
        }

        /// <summary>A string within the length limit and without a lone surrogate or NUL (which PostgreSQL text refuses).</summary>
        public string Checked(string value)
        {
            if (value.Length > limits.MaxStringLength) throw TooLong();
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '\0') throw new ConfigTextException(Here, "holds a NUL character");
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
                else if (char.IsSurrogate(c)) throw new ConfigTextException(Here, "holds a lone surrogate");
            }
            return value;
        }

        public ConfigTextException TooLong() => new(Here, $"is a string longer than {limits.MaxStringLength} characters");

        private void Count(int nodes)
        {
            if (_done) throw new ConfigTextException("$", "holds more than one value");
            if ((long)_nodes + nodes > limits.MaxNodes) throw new ConfigTextException(Here, $"the text holds more than {limits.MaxNodes} values");
            _nodes += nodes;
        }

        private void Place(JsonNode? node, string? anchor, int nodes, int height)
        {
            if (anchor is not null) _anchors[anchor] = (node, nodes, height);
            if (!_stack.TryPeek(out var top))
            {
                Root = node;
                _done = true;
                return;
            }
            top.Height = Math.Max(top.Height, height);
            if (top.Container is JsonArray array)
            {
                array.Add(node);
                return;
            }
            var obj = (JsonObject)top.Container;
            obj[top.Key!] = node;
            top.Key = null;
        }

        private static string Child(string path, string key) => path == "$" ? key : $"{path}.{key}";
    }
}
