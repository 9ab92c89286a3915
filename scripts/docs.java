///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/verify/ChartDocs.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Repo.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "docs", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Writes each chart's README.md (helm-docs, from the `# --` comments of values.yaml) and the same descriptions "
                + "into its values.schema.json; --check only says whether they are current.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written, or current", "1:--check: a file is not what the comments make", "2:bad option, no go to build helm-docs with"})
public class docs implements Callable<Integer> {
    @Option(names = "--check", description = "Change nothing; exit 1 naming each file that is out of date.")
    boolean check;

    @Parameters(paramLabel = "CHART", arity = "0..*", description = "Chart folders (default: helm/trevor and helm/trevor-dev-deps).")
    List<Path> charts = new ArrayList<>();

    public static void main(String[] args) { System.exit(Cli.execute(new docs(), args)); }

    @Override
    public Integer call() throws Exception {
        Path repo = Repo.root();
        if (charts.isEmpty()) {
            if (repo == null) throw new Problem.BadInput("run me from inside the trevor repository, or name the chart folders");
            charts = List.of(repo.resolve("helm/trevor"), repo.resolve("helm/trevor-dev-deps"));
        }
        var stale = new ArrayList<String>();
        for (Path chart : charts) {
            if (!Files.isRegularFile(chart.resolve("values.yaml"))) throw new Problem.BadInput("no values.yaml in " + chart);
            var g = ChartDocs.generate(chart, m -> System.err.println("docs: " + m));
            for (var f : List.of(new Object[] {chart.resolve("README.md"), g.readme()}, new Object[] {chart.resolve("values.schema.json"), g.schema()})) {
                Path file = (Path) f[0];
                String want = (String) f[1];
                String have = Files.exists(file) ? Files.readString(file) : "";
                if (have.equals(want)) continue;
                if (check) {
                    stale.add(file.toString());
                } else {
                    Files.writeString(file, want);
                    System.out.println("docs: wrote " + file);
                }
            }
        }
        if (!stale.isEmpty()) {
            System.err.println("docs: not what values.yaml's comments make (run ./jbang scripts/docs.java): " + String.join(", ", stale));
            return 1;
        }
        System.out.println(check ? "docs: every README.md and values.schema.json is current" : "docs: done");
        return 0;
    }
}
