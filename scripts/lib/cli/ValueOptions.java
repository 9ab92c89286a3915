//DEPS info.picocli:picocli:4.7.7
//SOURCES ../tools/Problem.java

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Values a lifecycle script passes to the chart, spelled as helm spells them: one mixin for install, upgrade and migrate. */
final class ValueOptions {
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Values, as helm --set.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--set-string", paramLabel = "KEY=VALUE", description = "Values kept as strings, as helm --set-string (e.g. a label value \"true\").")
    List<String> setStrings = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "TAG", description = "Image tag (image.tag), always passed as a string: --tag 20240101 stays a tag.")
    String tag;

    /**
     * --set entries, then --set-string ones, in the form Helm.Values takes; the tag stays apart
     * (Installer.Options has a field). Each must be KEY=VALUE: one starting with '-' would be
     * taken for another helm flag (--set '--set-file=k=/etc/passwd' reads a local file into the
     * release), so it is refused, naming the option.
     */
    List<String> sets() {
        var all = new ArrayList<String>();
        for (String s : sets) all.add("--set=" + checked("--set", s));
        for (String s : setStrings) all.add("--set-string=" + checked("--set-string", s));
        return all;
    }

    private static String checked(String option, String value) {
        if (value.startsWith("-")) {
            throw new Problem.BadInput(option + " '" + value + "' starts with '-': " + option + " takes KEY=VALUE, and "
                    + "other helm flags (--set-file, --set-json, --set-literal, …) are not passed through");
        }
        if (!value.contains("=")) {
            throw new Problem.BadInput(option + " '" + value + "' is not KEY=VALUE");
        }
        return value;
    }

    /**
     * The tag as given. The one rule for a tag is image.tag's `pattern` in the chart's schema:
     * the tag reaches helm with --set-literal (no comma splits it into more values), and the
     * render before any change refuses a bad one with helm's message, as `helm install` would.
     */
    String tag() { return tag; }

    boolean isEmpty() { return sets.isEmpty() && setStrings.isEmpty() && tag == null; }
}
