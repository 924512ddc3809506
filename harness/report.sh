#!/usr/bin/env bash
# harness/report.sh [SPEC...]: one row per spec, as a Markdown table:
# generation time, compile time of the generated C (cc -O2 -march=native),
# and the worst error against the naive reference.  `make report` runs it
# on every shipped spec.  Times are wall-clock seconds of one run.
set -u
cd "$(dirname "$0")/.."
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(specs/*.lua)
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || return 1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }
echo "| spec | layers | MACs | generate (s) | compile (s) | max abs error | normalized error | check |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for spec in "${specs[@]}"; do
  name=$(basename "$spec" .lua)
  summary=$(./convgen --summary "$spec")
  layers=$(echo "$summary" | sed -n "s/^net '.*': \([0-9]*\) layers.*/\1/p")
  macs=$(echo "$summary" | sed -n 's/^MACs: \([0-9,]*\).*/\1/p')
  opts=()   # the GNUmakefile's BIG_SPECS: weights in out/NAME.bin, as make builds them
  [[ " ${BIG_SPECS:-} " == *" $name "* ]] && opts=(--weights-bin)
  gen=$(seconds ./convgen "${opts[@]}" -o "out/$name" "$spec")
  compile=$(seconds cc -O2 -march=native -std=c99 -c "out/$name.c" -o "out/$name.report.o")
  make -s "out/${name}_check" >/dev/null 2>&1
  result=$("out/${name}_check" 2>&1)
  worst_abs=$(echo "$result" | sed -n 's/.*max_abs \([^ ]*\).*/\1/p' | sort -g | tail -1)
  worst_norm=$(echo "$result" | sed -n 's/.*normalized \([^ ]*\).*/\1/p' | sort -g | tail -1)
  echo "| $name | $layers | $macs | $gen | $compile | $worst_abs | $worst_norm | $(echo "$result" | tail -1) |"
  rm -f "out/$name.report.o"
done
