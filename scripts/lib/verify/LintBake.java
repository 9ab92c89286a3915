//SOURCES ../kube/Helm.java
//SOURCES ../tools/Yaml.java

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;
import org.yaml.snakeyaml.DumperOptions;

/**
 * A values file baked into a copy of the chart: the copy's values.yaml is what helm makes of the
 * chart's values.yaml with the file on top, so `helm lint --strict COPY` says what `helm lint
 * --strict CHART -f FILE` says, and one helm process lints a chart with every values file (a
 * process costs about as much to start as to lint the chart).
 *
 * <p>Only where that is sure: each file one mapping of string keys, scalars that go-yaml (which
 * helm reads values with, YAML 1.1) and this reader take the same way (strings, true/false,
 * decimal integers helm's float64 holds exactly; the chart's own values may also say null), no
 * anchors, aliases, tags or merge keys, no duplicate keys; a file that sets no key to null
 * (null removes a chart default: lint's values rule and its render rule take that apart) and puts no
 * table where the chart has a value that is not one, or the reverse (helm keeps the file's and
 * warns). Anything else is linted with -f as before. LintBakeTest lints every values file of
 * this repository both ways with both Helm majors and compares what they say.
 */
final class LintBake {
    private LintBake() {}

    /** Why a file is not baked; never shown as a failure: the lint then runs with -f. */
    static final class Refused extends Exception {
        Refused(String why) { super(why, null, false, false); }
    }

    /** The baked values.yaml (JSON) for chart with values, or null when values are not one plain -f file or not sure to bake. */
    static String bake(Path chart, Helm.Values values) {
        if (values.stdin() != null || !values.sets().isEmpty() || values.files().size() != 1) return null;
        Path chartValues = chart.resolve("values.yaml"), file = values.files().get(0);
        try {
            // A FIFO, a device or a huge file is helm's to refuse or read, as without baking.
            for (Path f : List.of(chartValues, file)) if (!Files.isRegularFile(f) || Files.size(f) > MAX_BYTES) return null;
            return bake(Files.readString(chartValues), Files.readString(file));
        } catch (IOException | Refused | RuntimeException e) {
            return null;
        }
    }

    static final long MAX_BYTES = 1 << 20;

    /** The charts' values.yaml read so far, by their text: a chart is baked with each of its values files. Never changed after. */
    private static final Map<String, Map<String, Object>> CHARTS = new java.util.concurrent.ConcurrentHashMap<>();

    static String bake(String chartValues, String file) throws Refused {
        var base = CHARTS.get(chartValues);
        if (base == null) {
            base = read(chartValues, true);
            CHARTS.put(chartValues, base);
        }
        var top = read(file, false);
        // JSON, which helm reads as YAML (Yaml.json escapes every character a YAML 1.1 reader would fold).
        return Yaml.json(merge(base, top, "")) + "\n";
    }

    /** The file's values on top of the chart's, as helm coalesces them (lists replaced whole). */
    static Map<String, Object> merge(Map<String, Object> chart, Map<String, Object> file, String at) throws Refused {
        var out = new LinkedHashMap<>(chart);
        for (var e : file.entrySet()) {
            String key = at + e.getKey();
            Object c = chart.get(e.getKey()), f = e.getValue();
            if (c instanceof Map<?, ?> cm && f instanceof Map<?, ?> fm) {
                out.put(e.getKey(), merge(cast(cm), cast(fm), key + "."));
            } else if (c != null && (c instanceof Map) != (f instanceof Map)) {
                throw new Refused(key + ": a table against a value that is not one");
            } else {
                out.put(e.getKey(), f);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) { return (Map<String, Object>) m; }

    // ---------------------------------------------------------------- reading

    /** One YAML document's mapping, read event by event so that nothing helm reads otherwise gets through. */
    static Map<String, Object> read(String text, boolean nullsAllowed) throws Refused {
        var parser = new org.yaml.snakeyaml.parser.ParserImpl(new org.yaml.snakeyaml.reader.StreamReader(new StringReader(text)),
                new org.yaml.snakeyaml.LoaderOptions());
        List<Event> all = new ArrayList<>();
        try {
            for (Event e = parser.getEvent(); ; e = parser.getEvent()) {
                all.add(e);
                if (e.is(Event.ID.StreamEnd)) break;
            }
        } catch (RuntimeException e) {
            throw new Refused("not YAML this reader takes: " + e.getMessage());
        }
        // StreamStart, then either StreamEnd (empty) or DocumentStart, the node, DocumentEnd, StreamEnd.
        if (all.size() == 2) return new LinkedHashMap<>();
        if (all.size() < 5 || !all.get(1).is(Event.ID.DocumentStart) || !all.get(all.size() - 2).is(Event.ID.DocumentEnd)) {
            throw new Refused("more than one YAML document");
        }
        int[] at = {2};
        Object root = node(all, at, nullsAllowed);
        if (at[0] != all.size() - 2) throw new Refused("more than one YAML document");
        if (root == null) return new LinkedHashMap<>();
        if (!(root instanceof Map<?, ?> m)) throw new Refused("not a mapping at the top");
        return cast(m);
    }

    private static Object node(List<Event> events, int[] at, boolean nullsAllowed) throws Refused {
        Event e = events.get(at[0]++);
        if (e instanceof AliasEvent) throw new Refused("an alias");
        if (e instanceof NodeEvent n && n.getAnchor() != null) throw new Refused("an anchor");
        if (e instanceof CollectionStartEvent c && c.getTag() != null) throw new Refused("a tag");
        if (e instanceof ScalarEvent s) {
            if (s.getTag() != null) throw new Refused("a tag");
            Object v = s.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN ? plain(s.getValue()) : s.getValue();
            if (v == null && !nullsAllowed) throw new Refused("a null");
            return v;
        }
        if (e instanceof MappingStartEvent) {
            var m = new LinkedHashMap<String, Object>();
            while (!events.get(at[0]).is(Event.ID.MappingEnd)) {
                Event k = events.get(at[0]);
                if (!(k instanceof ScalarEvent ks) || ks.getTag() != null || ks.getAnchor() != null) throw new Refused("a key that is not a plain string");
                at[0]++;
                Object key = ks.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN ? plain(ks.getValue()) : ks.getValue();
                if (!(key instanceof String name)) throw new Refused("a key that is not a string: " + ks.getValue());
                if (m.containsKey(name)) throw new Refused("a duplicate key: " + name);
                m.put(name, node(events, at, nullsAllowed));
            }
            at[0]++;
            return m;
        }
        if (e instanceof SequenceStartEvent) {
            var l = new ArrayList<Object>();
            while (!events.get(at[0]).is(Event.ID.SequenceEnd)) l.add(node(events, at, nullsAllowed));
            at[0]++;
            return l;
        }
        throw new Refused("an unexpected " + e.getEventId());
    }

    /** go-yaml's YAML 1.1 words, which this reader (or JSON) would take another way: not baked. */
    private static final Set<String> WORDS = Set.of("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
            "OFF", "True", "TRUE", "False", "FALSE", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
            "-.inf", "-.Inf", "-.INF", "<<", "=");
    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]{0,15})");
    /** Integers in any base or with signs and underscores, floats, base-60 numbers, timestamps: what go-yaml may not read as a string. */
    private static final Pattern NUMBER_LIKE = Pattern.compile(
            "[-+]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9_]+|(\\.[0-9_]+|[0-9_]+(\\.[0-9_]*)?)([eE][-+]?[0-9_]+)?"
                    + "|[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?)|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?");

    /** A plain scalar as go-yaml resolves it, when sure: null, Boolean, Long or String. */
    static Object plain(String v) throws Refused {
        switch (v) {
            case "true": return Boolean.TRUE;
            case "false": return Boolean.FALSE;
            case "", "~", "null": return null;
            default: break;
        }
        if (WORDS.contains(v)) throw new Refused("a YAML 1.1 word: " + v);
        if (DECIMAL.matcher(v).matches()) {
            long n = Long.parseLong(v);
            if (Math.abs(n) > 1L << 53) throw new Refused("an integer a float64 does not hold: " + v);
            return n;
        }
        if (NUMBER_LIKE.matcher(v).matches()) throw new Refused("a number in a form go-yaml reads its own way: " + v);
        return v;
    }
}
