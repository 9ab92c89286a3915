# trevor chart ops: each recipe calls a script; the scripts hold the logic.
set shell := ["bash", "-euo", "pipefail", "-c"]

jbang := justfile_directory() / "jbang"

# List the recipes
default:
    @{{just_executable()}} --list

# Prove the chart: render, lint, schema, selectors, Pod Security (HELM=3 or 4)
verify helm="4" *args="":
    {{jbang}} scripts/verify.java --helm-major {{helm}} {{args}}

# Every test stage: unit, scripts, verify and the kwok e2e under Helm 3 and 4, properties, safety, defects, the real-node e2e (--stage NAME for some)
test *args="":
    {{jbang}} scripts/test.java {{args}}

# helm lint --strict for the defaults and every values/ file, under Helm 3 and 4
lint:
    {{jbang}} scripts/verify.java --helm-major 3 --only 'helm lint'
    {{jbang}} scripts/verify.java --helm-major 4 --only 'helm lint'

# Time verify warm, per stage, side by side with helm-unittest
bench runs="9":
    {{jbang}} scripts/bench.java --versus helm-unittest --runs {{runs}}

# Start the local cluster (k3d with Docker, else kwok; add --real-node for real containers)
up *args="":
    {{jbang}} scripts/cluster.java up {{args}}

# Stop and remove the local cluster
down *args="":
    {{jbang}} scripts/cluster.java down {{args}}

# Live checks of the deployed release (pods, migration Job, PDB, HPA, …)
status *args="":
    {{jbang}} scripts/status.java {{args}}

# Install or upgrade trevor; ENV names a values/ file (dev, prod, real-node), none: install.java picks dev, or real-node on a cluster with a real node
install env="" *args="":
    {{jbang}} scripts/install.java {{ if env == "" { "" } else { "--values values/" + env + ".yaml" } }} {{args}}

# Run the migrations now and show the Job's logs
migrate *args="":
    {{jbang}} scripts/migrate.java {{args}}

# Upgrade to a new image tag, show the diff, prove migrations ran first
upgrade tag *args="":
    {{jbang}} scripts/upgrade.java --tag {{tag}} {{args}}

# Roll back to the previous revision (or --revision N); says which migrations stay applied
rollback *args="":
    {{jbang}} scripts/rollback.java {{args}}

# Remove the release, its migration Jobs, the Secrets install wrote and its lock (--with-deps, --delete-namespace)
uninstall *args="":
    {{jbang}} scripts/uninstall.java {{args}}

# The whole lifecycle on kwok: up, install, checks, upgrade, checks, uninstall, down
e2e helm="4" *args="":
    {{jbang}} scripts/e2e.java --helm-major {{helm}} {{args}}

# The lifecycle on a real node: real containers, PostgreSQL, Alembic (root, Debian/Ubuntu)
e2e-real *args="":
    {{jbang}} scripts/e2e.java --real {{args}}

# Steady, bounded GETs to a URL (loopback or the local cluster's addresses only); the check "0 failed requests"
load url *args="":
    {{jbang}} scripts/load.java --url {{url}} {{args}}

# Drain a node through the eviction API (PDBs honoured), then uncordon it; without --allow-drain NODE it only shows what it would evict
drain node *args="":
    {{jbang}} scripts/drain.java {{node}} {{args}}

# The trust guarantees: locks, interrupts, secrets, what counts as local
safety *args="":
    {{jbang}} scripts/safety.java {{args}}

# Every live check fails by name: releases broken on purpose on kwok, status must name each defect
defects *args="":
    {{jbang}} scripts/defects.java {{args}}

# Build the local images (pause, PostgreSQL, Redis, the trevor stand-in) without Docker
images *args="build":
    {{jbang}} scripts/images.java {{args}}

# Fetch every pinned tool into the cache (helm 3 and 4, kubectl, just, go)
tools:
    {{jbang}} scripts/tools.java fetch-all
