//SOURCES ../kube/InputFile.java
//SOURCES ../tools/Problem.java

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A Secret's contents from a KEY=VALUE file, read exactly as `kubectl create secret generic
 * --from-env-file` reads it, because that is the command our messages recommend: the
 * first line may start with a UTF-8 BOM; leading whitespace is dropped, trailing kept;
 * `#` starts a comment only at the start of a line; quotes stay part of the value, except
 * that a value opening with `"` and not closing on its line continues to the line that ends
 * with `"` (the quotes are then removed); a key without `=` takes its value from the
 * environment; a repeated key is an error.
 *
 * <p>Where kubectl is silent or lax, this refuses, naming the file and line: invalid UTF-8,
 * a line longer than 64 KiB (kubectl stops reading the file there without a word), and
 * data over the API server's 1 MiB Secret limit. Values never appear in a message.
 */
final class EnvFile {
    private EnvFile() {}

    /** kubectl's bufio.Scanner gives up on longer lines (and drops the rest of the file). */
    static final int MAX_LINE = 64 * 1024;
    /** The API server refuses a Secret whose data exceeds 1 MiB. */
    static final int MAX_SECRET_BYTES = 1024 * 1024;

    private static final Pattern ENV_VAR_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");

    /** Why a key is not what kubectl accepts, or null when it is. */
    static String keyProblem(String key) {
        if (!ENV_VAR_NAME.matcher(key).matches()) {
            return "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
        }
        if (key.equals(".")) return "must not be '.'";
        if (key.equals("..")) return "must not be '..'";
        if (key.startsWith("..")) return "must not start with '..'";
        return null;
    }

    /** The file itself may hold comments and blank lines around the 1 MiB of data a Secret takes. */
    static final long MAX_FILE_BYTES = 2 * InputFile.MIB;
    static final String FILE_WHY = "a Secret holds at most 1 MiB of data; the rest is room for comments";

    static Map<String, String> read(Path file) {
        return parse(file.toString(), InputFile.read("--env-file", file, MAX_FILE_BYTES, FILE_WHY), System::getenv);
    }

    static Map<String, String> parse(String name, byte[] bytes, Function<String, String> environment) {
        var out = new LinkedHashMap<String, String>();
        var lines = lines(bytes);
        for (int i = 0; i < lines.size(); i++) {
            byte[] raw = lines.get(i);
            int lineNo = i + 1;
            if (raw.length > MAX_LINE) {
                throw new Problem.BadInput(name + ":" + lineNo + ": line longer than " + MAX_LINE + " bytes; kubectl would stop reading the file here. "
                        + "Put large values in a file and create the Secret with kubectl --from-file");
            }
            String line = utf8(name, lineNo, raw);
            if (i == 0 && line.startsWith("\uFEFF")) line = line.substring(1);
            line = stripLeadingSpace(line);
            if (line.isEmpty() || line.charAt(0) == '#') continue;
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq);
            String problem = keyProblem(key);
            if (problem != null) {
                // Not echoed: a line that fails as a key may be the second line of a quoted secret.
                throw new Problem.BadInput(name + ":" + lineNo + ": the text before '=' is not a valid key name: " + problem
                        + (eq < 0 ? " (a line without '=' is a key whose value comes from the environment)" : ""));
            }
            String value = eq < 0 ? nonNull(environment.apply(key)) : line.substring(eq + 1);
            if (out.containsKey(key)) {
                throw new Problem.BadInput(name + ":" + lineNo + ": key " + key + " appears twice; kubectl refuses that too. Keep one of them");
            }
            out.put(key, value);
        }
        if (out.isEmpty()) throw new Problem.BadInput("--env-file " + name + " has no KEY=VALUE lines");
        long size = out.entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().getBytes(StandardCharsets.UTF_8).length).sum();
        if (size > MAX_SECRET_BYTES) {
            throw new Problem.BadInput("--env-file " + name + " holds " + size + " bytes; a Secret may hold at most " + MAX_SECRET_BYTES
                    + " (1 MiB). Keep large files out of environment variables");
        }
        return out;
    }

    /** Lines as bufio.ScanLines splits them: on \n, a trailing \r dropped, no empty last line. */
    private static List<byte[]> lines(byte[] b) {
        var out = new ArrayList<byte[]>();
        int start = 0;
        for (int i = 0; i <= b.length; i++) {
            if (i == b.length || b[i] == '\n') {
                if (i == b.length && start == b.length) break;
                int end = i > start && b[i - 1] == '\r' ? i - 1 : i;
                var line = new byte[end - start];
                System.arraycopy(b, start, line, 0, line.length);
                out.add(line);
                start = i + 1;
            }
        }
        return out;
    }

    private static String utf8(String name, int lineNo, byte[] raw) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new Problem.BadInput(name + ":" + lineNo + ": not valid UTF-8 (is the file Latin-1 or UTF-16?); save it as UTF-8");
        }
    }

    /** Go's unicode.IsSpace: the ASCII spaces plus U+0085, U+00A0 and the Unicode space separators. */
    private static String stripLeadingSpace(String s) {
        int i = 0;
        while (i < s.length()) {
            int c = s.codePointAt(i);
            boolean space = c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0 || Character.isSpaceChar(c);
            if (!space) break;
            i += Character.charCount(c);
        }
        return s.substring(i);
    }

    private static String nonNull(String s) { return s == null ? "" : s; }
}
