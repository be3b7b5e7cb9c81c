#!/usr/bin/env bash
# Benchmark (not a test): a 100,000-run sweep end to end on this machine - runs, shards,
# assembly - then the checks docs/PERFORMANCE.md ("A 100,000-run sweep") reports:
#   1. wall time of the sweep and of its assembly (-v logs "merging");
#   2. time per run flat from the first to the last run: mean /runs/wall_seconds of each tenth
#      of the run ids;
#   3. h5py opens the file and reads every series of run 99,999 (timed, target < 1 s);
#   4. the same sweep killed with SIGKILL near the end (90% of the shards written), then
#      --resume: the resumed file has the same datasets as the uninterrupted one.
# Tiny runs (26 weeks, a small ecosystem) keep it to a few minutes on 2 cores.
#
# Usage: sim/bench/sweep-100k.sh [BINARY] [WORKDIR]
#   BINARY  default build/release/sim/pse-sim;  WORKDIR default /tmp/pse-sweep-100k
#   RUNS=N  (environment) another run count, e.g. RUNS=10000 for a quick check
set -euo pipefail
B=$(realpath "${1:-build/release/sim/pse-sim}")
W=${2:-/tmp/pse-sweep-100k}
RUNS=${RUNS:-100000}
PY=/usr/bin/python3   # Debian's python3-h5py
REPS=100
SAMPLES=$((RUNS / REPS))
mkdir -p "$W"
cd "$W"
rm -rf a.h5 a.h5.parts b.h5 b.h5.parts
cat > exp.toml <<EOF
[run]
name = "sweep_100k"
weeks = 26
[ecosystem]
mnc_count = 10
supplier_count = 80
[experiment]
design = "lhs"
samples = $SAMPLES
replications = $REPS
seed = 7
[[experiment.lever]]
key = "ngo[*].dedicated_fte"
min = 0.0
max = 2.0
[[experiment.uncertainty]]
key = "trust.gain_rate"
min = 0.02
max = 0.08
EOF
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== 1. uninterrupted sweep of $RUNS runs"
t0=$(date +%s.%N)
"$B" -v sweep exp.toml -o a.h5 2> a.log >/dev/null
t1=$(date +%s.%N)
echo "wall $(echo "$t1 - $t0" | bc) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "merg|assembl" a.log | tail -2 || true

echo "== 2. time per run by tenth of the run ids (mean wall_seconds, ms)"
"$PY" - <<'EOF'
import h5py, numpy as np
with h5py.File("a.h5", "r") as f:
    w = f["runs/wall_seconds"][:]
n = len(w)
print(" ".join(f"{1e3 * w[i * n // 10:(i + 1) * n // 10].mean():.3f}" for i in range(10)))
EOF

echo "== 3. h5py: open and read run $((RUNS - 1))"
"$PY" - "$RUNS" <<'EOF'
import sys, time
t = time.perf_counter()
import h5py
t_imp = time.perf_counter()
with h5py.File("a.h5", "r") as f:
    last = int(sys.argv[1]) - 1
    rows = {k: f["series"][k][last] for k in f["series"]}
    s = {k: f["runs/summary"][k][last] for k in f["runs/summary"]}
t_end = time.perf_counter()
print(f"read {len(rows)} series and {len(s)} summaries of run {last} in {t_end - t_imp:.3f} s (import h5py {t_imp - t:.3f} s)")
EOF

echo "== 4. kill -9 near the end, then --resume"
shards=$(( (RUNS + 255) / 256 ))
"$B" -q sweep exp.toml -o b.h5 >/dev/null 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
    n=$(ls b.h5.parts 2>/dev/null | grep -c '^part-.*\.h5$' || true)
    [ "$n" -ge $((shards * 9 / 10)) ] && break
    sleep 0.05
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
echo "killed with $(ls b.h5.parts | grep -c '^part-.*\.h5$') of about $shards shards written; b.h5 exists: $([ -e b.h5 ] && echo yes || echo no)"
t0=$(date +%s.%N)
"$B" -v sweep exp.toml -o b.h5 --resume 2> b.log >/dev/null
t1=$(date +%s.%N)
echo "resume wall $(echo "$t1 - $t0" | bc) s"
# Same datasets (values, NaN = NaN) and attributes, except /runs/wall_seconds (measured time) and
# the root attributes that name the invocation (created_utc, command_line), which h5diff would report.
"$PY" - a.h5 b.h5 <<'PYCMP'
import sys, h5py, numpy as np
bad = []
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    names = []
    a.visititems(lambda k, x: names.append(k) if isinstance(x, h5py.Dataset) else None)
    other = []
    b.visititems(lambda k, x: other.append(k) if isinstance(x, h5py.Dataset) else None)
    if sorted(names) != sorted(other): bad.append("dataset names differ")
    for name in names:
        if name == "runs/wall_seconds": continue  # measured time, differs between any two invocations
        x, y = a[name], b.get(name)
        if y is None: bad.append(name + " missing"); continue
        u, v = x[()], y[()]
        same = u.shape == v.shape and (np.array_equal(u, v, equal_nan=True) if u.dtype.kind == "f" else np.array_equal(u, v))
        if not same: bad.append(name)
        if sorted(x.attrs.keys()) != sorted(y.attrs.keys()) or any(str(x.attrs[k]) != str(y.attrs[k]) for k in x.attrs): bad.append(name + " attrs")
    skip = ("created_utc", "command_line")
    if sorted(k for k in a.attrs if k not in skip) != sorted(k for k in b.attrs if k not in skip) or \
       any(str(a.attrs[k]) != str(b.attrs[k]) for k in a.attrs if k not in skip): bad.append("root attributes")
print(f"{len(names)} datasets: " + ("identical" if not bad else "DIFFER: " + ", ".join(bad[:10])))
sys.exit(1 if bad else 0)
PYCMP
ls -l a.h5
