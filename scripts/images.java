///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//JAVA_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData
//DEPS info.picocli:picocli:4.7.7
//SOURCES lib/images/AptSources.java
//SOURCES lib/cli/Cli.java
//SOURCES lib/images/DebianRootfs.java
//SOURCES lib/images/ImageBuild.java
//SOURCES lib/images/ImageSmoke.java
//SOURCES lib/images/Images.java
//SOURCES lib/images/PrivateContainerd.java
//SOURCES lib/images/PythonEnv.java
//SOURCES lib/tools/Problem.java
//SOURCES lib/tools/Repo.java

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "images", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Builds the local images (pod sandbox, PostgreSQL, Redis, the trevor stand-in) as docker-archive tars, "
                + "from pinned Debian and PyPI packages, with no registry and no Docker; cached by content hash.",
        subcommands = {images.Build.class, images.ListImages.class, images.Lock.class, images.Clean.class, images.Smoke.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:a build or a proof failed", "2:bad option, missing tool or privilege"})
public class images implements Callable<Integer> {

    public static void main(String[] args) {
        System.exit(Cli.execute(new images(), args));
    }

    @Override public Integer call() {
        System.err.println("images: say build, list, lock, clean or smoke (see --help)");
        return 2;
    }

    static void say(String msg) { System.out.println("images: " + msg); }

    /** Runs a subcommand: tool and input problems are one line and exit 2, anything else exit 1. */
    static int guard(Callable<Integer> body) {
        try {
            return body.call();
        } catch (Problem.ToolMissing | IllegalArgumentException e) {
            System.err.println("images: " + e.getMessage());
            return 2;
        } catch (ImageSmoke.Failed | PrivateContainerd.Failed e) {
            System.err.println("images: " + e.getMessage());
            return 1;
        } catch (Problem e) {
            // An interrupt (130) among them: one line saying what it stopped, as Cli prints it for every script.
            System.err.println("images: " + e.getMessage());
            return e.exitCode;
        } catch (Exception e) {
            System.err.println("images: " + e.getClass().getSimpleName() + ": " + Problem.rootMessage(e));
            return 1;
        }
    }

    static Path repo() {
        Path r = Repo.root();
        if (r == null) throw new IllegalArgumentException("run me from inside the trevor repository");
        return r;
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Build the images (all, or those named: pause, postgres, redis, trevor-1.0.0, trevor-2.0.0, "
                    + "trevor-3.0.0-broken, trevor, or a reference). Cold builds need root; cached ones return at once.")
    static class Build implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", arity = "0..*", description = "Images to build (default: all).")
        List<String> names = new ArrayList<>();

        @Override public Integer call() {
            return guard(() -> {
                long t0 = System.nanoTime();
                var built = ImageBuild.build(repo(), names, images::say);
                built.forEach((ref, archive) -> System.out.printf(Locale.ROOT, "%-36s %s%n", ref, archive));
                say(String.format(Locale.ROOT, "%d image(s) ready in %.1f s", built.size(), (System.nanoTime() - t0) / 1e9));
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Show each image: name, reference, content hash, archive, cached or not.")
    static class ListImages implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", arity = "0..*", description = "Images to show (default: all).")
        List<String> names = new ArrayList<>();

        @Override public Integer call() {
            return guard(() -> {
                System.out.printf(Locale.ROOT, "%-20s %-34s %-16s %-8s %s%n", "NAME", "REFERENCE", "HASH", "CACHED", "ARCHIVE");
                for (var s : ImageBuild.status(repo(), names)) {
                    System.out.printf(Locale.ROOT, "%-20s %-34s %-16s %-8s %s%n", s.image().name(), s.image().ref(),
                            s.key().substring(0, 16), s.cached() ? "yes" : "no", s.archive());
                }
                return 0;
            });
        }
    }

    @Command(name = "lock", mixinStandardHelpOptions = true,
            description = "Re-pin the inputs: scripts/images/debian.lock (every Debian package of each root filesystem, from the host's apt sources) "
                    + "and the stand-in's requirements.lock and uv.lock (from PyPI, through the host's pip). Review, then commit.")
    static class Lock implements Callable<Integer> {
        @Option(names = "--debian", description = "Only the Debian packages.")
        boolean debian;

        @Option(names = "--python", description = "Only the Python packages.")
        boolean python;

        @Override public Integer call() {
            return guard(() -> {
                Path repo = repo();
                boolean both = !debian && !python;
                if (debian || both) lockDebian(repo);
                if (python || both) lockPython(repo);
                return 0;
            });
        }

        private void lockDebian(Path repo) throws Exception {
            Path file = repo.resolve(Images.DEBIAN_LOCK);
            String suite = Files.isRegularFile(file) ? DebianRootfs.readLock(file).suite() : DebianRootfs.hostCodename();
            if (suite == null) throw new Problem.ToolMissing("no Debian codename in /etc/os-release; say which release to pin in " + file);
            var sources = AptSources.forRelease(suite);
            var sections = new LinkedHashMap<String, DebianRootfs.Section>();
            for (var img : Images.ALL) {
                for (var l : img.layers()) {
                    if (l instanceof Images.DebianLayer d && !sections.containsKey(d.rootfs())) {
                        say("resolving [" + d.rootfs() + "] " + String.join(" ", d.wants()) + " in Debian " + suite);
                        sections.put(d.rootfs(), new DebianRootfs.Section(d.wants(), DebianRootfs.resolve(suite, "amd64", d.wants(), sources)));
                    }
                }
            }
            Files.createDirectories(file.getParent());
            Files.writeString(file, DebianRootfs.renderLock(new DebianRootfs.Lock(suite, "amd64", sections)));
            say("wrote " + file + " (" + sections.values().stream().mapToInt(s -> s.pins().size()).sum() + " pins); review and commit it");
        }

        private void lockPython(Path repo) {
            var lock = DebianRootfs.readLock(repo.resolve(Images.DEBIAN_LOCK));
            String deb = lock.sections().get(Images.PYTHON_ROOTFS.rootfs()).pins().get("python3.11");
            if (deb == null) throw new Problem.ToolMissing("scripts/images/debian.lock pins no python3.11; run lock --debian first");
            String pythonVersion = deb.replaceFirst("^\\d+:", "").replaceFirst("-.*$", ""); // 3.11.2-6+deb12u9 → 3.11.2
            Path cache = ImageBuild.cacheDir();
            Path uv = PythonEnv.uv(cache.resolve("uv"), images::say);
            PythonEnv.lock(repo.resolve(Images.STAND_IN), pythonVersion, uv, cache.resolve("wheels"), cache.resolve("uv-cache"), images::say);
        }
    }

    @Command(name = "clean", mixinStandardHelpOptions = true, description = "Remove cached layers and archives that no current image uses.")
    static class Clean implements Callable<Integer> {
        @Override public Integer call() {
            return guard(() -> {
                say("removed " + ImageBuild.clean(repo(), images::say).size() + " cached item(s)");
                return 0;
            });
        }
    }

    @Command(name = "smoke", mixinStandardHelpOptions = true,
            description = "Prove the images run: a private containerd (own root, state and socket in a temp folder) runs them read-only "
                    + "as their non-root users; PostgreSQL, Redis, Alembic 1.0.0 → 2.0.0 → the broken tag, the API, the worker. "
                    + "Everything it starts is stopped and removed. Needs root.")
    static class Smoke implements Callable<Integer> {
        @Option(names = "--keep", description = "Leave the temp folder (logs) behind; processes and mounts are still cleaned up.")
        boolean keep;

        @Override public Integer call() {
            return guard(() -> {
                var archives = ImageBuild.build(repo(), List.of(), images::say);
                ImageSmoke.run(archives, keep, images::say);
                return 0;
            });
        }
    }
}
