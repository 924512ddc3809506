#!/usr/bin/env bash
# make fuzz-shapes N=... [SEED=...]: N random graphs of 1-4 layers
# (tests/fuzz/random_graphs.py) generated, compiled as users compile them
# (-O2 -march=native) and compared with the reference, two at a time.
# Each is checked by the same job as make test's random cases.
set -u
cd "$(dirname "$0")/../.." || exit 2
N=${1:-200} SEED=${2:-1}
export T=build/shapes NET_WARN="-std=c99 -Wall -Wextra -pedantic -Werror"
export CASE_CFLAGS=${CASE_CFLAGS:--O2 -march=native}
rm -rf "$T" && mkdir -p "$T" || exit 2
for f in check reference; do
  cc -O2 -std=c99 -Iharness -c "harness/$f.c" -o "$T/$f.o" || exit 2
done
/usr/bin/python3 -B tests/fuzz/random_graphs.py --seed "$SEED" --count "$N" --out "$T" >"$T/list" || exit 2
start=$SECONDS
# a line is the spec's path, then what it names (its target)
cut -d' ' -f1 "$T/list" | xargs -P "${JOBS:-2}" -I{} bash tests/run.sh --job case {}
pass=0 fail=0
while read -r spec _; do
  status=$(cat "${spec%.lua}.status" 2>/dev/null || echo "no result")
  if [ "$status" = PASS ]; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAIL $spec: $status"
    grep -v '^ *$' "${spec%.lua}.log" | head -n 6 | sed 's/^/    /'
  fi
done <"$T/list"
echo "fuzz-shapes: seed $SEED, $N graphs, $((SECONDS - start)) s, flags $CASE_CFLAGS"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
