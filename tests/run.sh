#!/usr/bin/env bash
# tests/run.sh: convgen's test suite (`make test` runs it).
#
# Groups, each printed as one line with its counts, failures detailed below it:
#   selftest     harness/reference.c proves itself (tests/ref_selftest.c)
#   specs        every specs/*.lua against the reference, and its C warning-free
#                with gcc (-Werror) and clang (also -Wconversion -Wshadow)
#   regressions  tests/specs/*.lua: small repros, checked the same way
#   random       random single-conv layers (tests/random_convs.py) vs the reference
#   graphs       random graphs of 1-4 layers (tests/fuzz/random_graphs.py), -O2 -march=native;
#                random fused blocks (random_graphs.py --blocks) with random band heights
#   kernels      every target kernel on its edge cases (tests/kernel_cases.py), AVX2 under memcheck
#   sanitize     half the random layers, the graphs and regressions again, convgen
#                and checker under ASan+UBSan (SANITIZE_ALL=1: every random layer)
#   valgrind     small specs and a slice of the random cases under memcheck; convgen too
#   strict       generated C under -Wconversion -Wshadow (gcc, clang) and cppcheck
#   fuzz         inputs that once broke convgen, replayed through the fuzz targets
#   errors       tests/errors/*.lua: bad specs, each with its message and line
#   cli          options, exit codes, determinism, atomic -o
#   sandbox      specs that try to escape or exhaust the sandbox
#   bench        a smoke run of the benchmarks: peers checked, a failed check refused
#   safetensors  tests/safetensors_test.py: weights round trip, broken files
#   onnx         tests/onnx_test.py: PyTorch models through ONNX vs PyTorch; broken files;
#                tests/onnx_ops_test.py: one small graph per operator vs numpy, refusals
# The last line is "N passed, N failed"; the exit status is 1 if any failed.
#
# Environment: RANDOM_SEED (default 1) and RANDOM_COUNT (default 64) for
# the random group; JOBS (default 2) parallel jobs.  Everything is written
# under build/tests/ (and out/ for specs/, as `make check` does).

# The convgen options a spec's own comment lines ask for (-- knobs:,
# -- target:, -- fuse:, -- threads:, -- layout:), into the array SPEC_OPTIONS.
spec_options() {
  SPEC_OPTIONS=()
  for k in $(sed -n 's/^-- knobs: *//p' "$1"); do SPEC_OPTIONS+=(--knob "$k"); done
  for t in $(sed -n 's/^-- target: *//p' "$1"); do SPEC_OPTIONS+=(--target "$t"); done
  for f in $(sed -n 's/^-- fuse: *//p' "$1"); do SPEC_OPTIONS+=(--fuse "$f"); done
  for n in $(sed -n 's/^-- threads: *//p' "$1"); do SPEC_OPTIONS+=(--threads "$n"); done
  for l in $(sed -n 's/^-- layout: *//p' "$1"); do SPEC_OPTIONS+=(--layout "$l"); done
}

# A spec's net is heavy when the GNUmakefile writes its weights to a .bin
# (BIG_SPECS, BIN_SPECS) or its C is 5 MB or more: memcheck and the strict
# checks leave those to make verify-all.
heavy_spec() {
  [[ " ${BIG_SPECS:-} ${BIN_SPECS:-} " == *" $1 "* ]] ||
    [ "$(stat -c %s "out/$1.c" 2>/dev/null || echo 0)" -ge 5000000 ]
}

# ---- jobs run in parallel through xargs: tests/run.sh --job KIND ARG --------
if [ "${1:-}" = "--job" ]; then
  kind=$2 arg=$3
  T=${T:-build/tests} NET_WARN=${NET_WARN:--std=c99 -Wall -Wextra -pedantic -Werror}
  echo "$(date +%s) start $kind $arg" >>"$T/jobs.log"
  trap 'echo "$(date +%s) end $kind $arg" >>"$T/jobs.log"' EXIT
  case $kind in
  gen)    # out/NAME.c and .h, as `make check` makes them (BIN_SPECS: the GNUmakefile's)
    make -s "out/$arg.c" BIN_SPECS="${BIN_SPECS:-}" >"$T/specs/$arg.gen.log" 2>&1
    echo $? >"$T/specs/$arg.gen.status" ;;
  check)  # out/NAME_check built by the GNUmakefile, then run
    { make -s "out/${arg}_check" && timeout 300 "out/${arg}_check" --quiet; } >"$T/specs/$arg.check.log" 2>&1
    echo $? >"$T/specs/$arg.check.status" ;;
  clang)  # gcc builds it in the check job, at -Werror; clang with the strict flags
    clang $NET_WARN $STRICT_WARN -fsyntax-only "out/$arg.c" >"$T/specs/$arg.clang.log" 2>&1
    echo $? >"$T/specs/$arg.clang.status" ;;
  strict) # a generated C file under gcc's strict flags: FILE
    out=$T/strict/$(echo "$arg" | tr / _)
    gcc $NET_WARN $STRICT_WARN -fsyntax-only "$arg" >"$out.log" 2>&1
    echo $? >"$out.status" ;;
  cppcheck) # a generated C file through cppcheck: FILE
    out=$T/strict/cppcheck_$(basename "$arg" .c)
    cppcheck -q --error-exitcode=1 --std=c99 --max-configs=1 -D__GNUC__ --suppress=toomanyconfigs \
      -Iout "$arg" >"$out.log" 2>&1
    echo $? >"$out.status" ;;
  vgconvgen) # convgen itself under memcheck on a spec: SPEC
    out=$T/valgrind/convgen_$(basename "$arg" .lua)
    $VG ./convgen "$arg" >/dev/null 2>"$out.err"
    echo $? >"$out.status" ;;
  case)   # one spec file checked against the reference: SPEC
    # The variant comes from the environment: CASE_CONVGEN (the generator
    # binary), CASE_CFLAGS (for the network; default -O1: the biggest
    # unrolled kernels take tens of seconds at -O2), CASE_SAN (sanitizer
    # flags for every object), CASE_OBJS (where check.o and reference.o
    # built with CASE_SAN are), CASE_RUN (a prefix such as valgrind),
    # CASE_PCH (x86_pch's header, for a net that includes <immintrin.h>).
    spec=$arg dir=$(dirname "$arg") name=$(basename "$arg" .lua)
    base=$dir/$name log=$dir/$name.log
    convgen=${CASE_CONVGEN:-./convgen} cflags=${CASE_CFLAGS:--O1} san=${CASE_SAN:-} objs=${CASE_OBJS:-$T}
    spec_options "$spec"
    knobs=("${SPEC_OPTIONS[@]}")
    problems=()
    {
      if ! $convgen "${knobs[@]}" -o "$base" "$spec"; then
        problems+=("convgen failed")
      elif ! $convgen "${knobs[@]}" --reference -o "${base}_ref" "$spec"; then
        problems+=("convgen --reference failed")
      else
        pch=()
        if [ -n "${CASE_PCH:-}" ] && grep -q '^#include <immintrin.h>' "$base.c"; then pch=(-include "$CASE_PCH"); fi
        if ! cc $cflags $san "${pch[@]}" $NET_WARN -c "$base.c" -o "$base.o"; then
          problems+=("the generated C has warnings (cc $cflags $NET_WARN)")
          cc $cflags $san -std=c99 -w -c "$base.c" -o "$base.o" || problems+=("the generated C does not compile")
        fi
        if [ -f "$base.o" ] && cc -O0 $san -std=c99 -Iharness -c "${base}_ref.c" -o "${base}_ref.o" &&
           cc $san -o "${base}_check" "$base.o" "${base}_ref.o" "$objs/check.o" "$objs/reference.o" -lm -pthread; then
          timeout 300 ${CASE_RUN:-} "${base}_check" --quiet || problems+=("check FAIL (generated vs reference${CASE_RUN:+, under ${CASE_RUN%% *}})")
        elif [ -f "$base.o" ]; then
          problems+=("the check program does not build")
        fi
      fi
    } >"$log" 2>&1
    status=PASS
    if [ "${#problems[@]}" -gt 0 ]; then
      status=$(IFS=';'; echo "${problems[*]}" | sed 's/;/; /g')
    fi
    echo "$status" >"$base.status" ;;
  esac
  exit 0
fi

set -u
cd "$(dirname "$0")/.." || exit 2
unset MAKEFLAGS MFLAGS MAKELEVEL          # our own makes, not the caller's jobserver
export LC_ALL=C
PY=/usr/bin/python3
JOBS=${JOBS:-2}
export T=build/tests
export NET_WARN="-std=c99 -Wall -Wextra -pedantic -Werror"
export STRICT_WARN="-Wconversion -Wshadow"
rm -rf "$T" && mkdir -p "$T" || exit 2
START=$SECONDS
TOTAL_PASS=0 TOTAL_FAIL=0

# ---- counting --------------------------------------------------------------
group() {
  G_NAME=$1 G_PASS=0 G_FAIL=0 G_SKIP=0 G_NOTE="" G_START=$SECONDS G_SHOWN=0
  G_DETAILS=$T/$1.details
  : >"$G_DETAILS"
}
pass() { G_PASS=$((G_PASS + 1)); }
# fail WHAT [DETAIL...]: details are shown indented, at most 12 lines each.
fail() {
  G_FAIL=$((G_FAIL + 1))
  G_SHOWN=$((G_SHOWN + 1))
  if [ "$G_SHOWN" -gt "${G_MAX_SHOWN:-25}" ]; then return; fi
  {
    echo "  FAIL $1"
    shift
    for d in "$@"; do
      [ -n "$d" ] && printf '%s\n' "$d" | head -n 12 | sed 's/^/       /'
    done
  } >>"$G_DETAILS"
}
skip() { G_SKIP=$((G_SKIP + 1)); echo "  skipped: $1" >>"$G_DETAILS"; }
end_group() {
  local extra=""
  [ "$G_SKIP" -gt 0 ] && extra=", $G_SKIP skipped"
  [ -n "$G_NOTE" ] && extra="$extra; $G_NOTE"
  printf '%-12s %3d passed, %d failed%s (%ds)\n' "$G_NAME:" "$G_PASS" "$G_FAIL" "$extra" $((SECONDS - G_START))
  if [ "$G_SHOWN" -gt "${G_MAX_SHOWN:-25}" ]; then
    echo "  ... and $((G_SHOWN - ${G_MAX_SHOWN:-25})) more failures (details under $T/)" >>"$G_DETAILS"
  fi
  cat "$G_DETAILS"
  TOTAL_PASS=$((TOTAL_PASS + G_PASS))
  TOTAL_FAIL=$((TOTAL_FAIL + G_FAIL))
}

# A Python test script's "ok" / "FAIL NAME" (details indented below) /
# "SKIP why" lines counted into the current group: python_tests NAME SCRIPT.
# python_start runs one in the background (its exit status in NAME.rc, its
# pid in PY_PID) and python_count counts it once it is done: the ONNX
# group's two scripts start before the fuzz group and run beside the
# groups from there on, which mostly run one process at a time.
python_start() {
  local name=$1 script=$2 log=$T/$1.log
  { $PY -B "$script" --convgen ./convgen --tmp "$T/$name" >"$log" 2>&1; echo $? >"$log.rc"; } &
  PY_PID=$!
}
python_count() {
  local name=$1 script=$2 log=$T/$1.log
  local rc
  rc=$(cat "$log.rc" 2>/dev/null || echo 127)
  G_PASS=$((G_PASS + $(grep -c '^ok ' "$log")))
  if grep -q '^SKIP' "$log"; then
    skip "$(sed -n 's/^SKIP //p' "$log")"
  fi
  while IFS= read -r line; do
    fail "${line#FAIL }" "$(awk -v l="$line" 'found && /^     /{print substr($0, 6); next} found{exit} $0==l{found=1}' "$log")"
  done < <(grep '^FAIL' "$log")
  if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$log"; then
    fail "$script exits $rc" "$(tail -n 12 "$log")"
  fi
}
python_tests() {
  if [ ! -x "$PY" ]; then
    skip "$PY is missing"
    return
  fi
  python_start "$1" "$2"
  wait "$PY_PID"
  python_count "$1" "$2"
}

# <immintrin.h> precompiled with FLAGS, for the case jobs (CASE_PCH): the
# header is most of a small x86 net's compile (0.30 s a file, 0.14 s with
# it precompiled; the object is the same).  Prints the header's name for
# -include, or nothing where gcc cannot make it.
x86_pch() {
  local dir
  dir=$T/pch/$(printf '%s' "$1" | tr -c 'A-Za-z0-9' '_')
  mkdir -p "$dir" && echo '#include <immintrin.h>' >"$dir/x86.h" &&
    cc $1 -std=c99 -x c-header "$dir/x86.h" -o "$dir/x86.h.gch" 2>/dev/null && echo "$dir/x86.h"
}

# expect NAME CODE STDERR-SUBSTRING -- COMMAND...: the command's exit status
# must be CODE (or one of CODE="1|2") and its stderr must contain the
# substring (if not empty), and no internal error.  Leaves stdout and
# stderr in $T/last.out and $T/last.err.
expect() {
  local name=$1 code=$2 substring=$3
  shift 4
  "$@" >"$T/last.out" 2>"$T/last.err"
  local rc=$? problems=""
  [[ "|$code|" == *"|$rc|"* ]] || problems="exit status $rc, want $code"
  if [ -n "$substring" ] && ! grep -qF -- "$substring" "$T/last.err"; then
    problems="${problems:+$problems; }stderr lacks '$substring'"
  fi
  if grep -q "internal error" "$T/last.err"; then
    problems="${problems:+$problems; }an internal error instead of a message"
  fi
  if [ -z "$problems" ]; then pass; return 0; fi
  fail "$name" "$problems" "command: $*" "stderr: $(head -c 600 "$T/last.err")"
  return 1
}

# ---- the generator itself ----------------------------------------------------
if ! make -s convgen >"$T/make.log" 2>&1; then
  echo "make convgen failed:"
  tail -n 30 "$T/make.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# The harness objects every checked spec links with.
for f in check reference; do
  if ! cc -O2 -std=c99 -Wall -Wextra -pedantic -Iharness -c "harness/$f.c" -o "$T/$f.o" 2>"$T/$f.log"; then
    echo "harness/$f.c does not compile:"; cat "$T/$f.log"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

# ---- a. the reference's self-test ------------------------------------------
group selftest
if cc -std=c99 -O2 -Wall -Wextra -pedantic -Iharness -o "$T/ref_selftest" \
      tests/ref_selftest.c harness/reference.c -lm 2>"$T/ref_selftest.cc.log"; then
  if [ -s "$T/ref_selftest.cc.log" ]; then
    fail "tests/ref_selftest.c and harness/reference.c compile without warnings" "$(cat "$T/ref_selftest.cc.log")"
  else
    pass
  fi
  "$T/ref_selftest" >"$T/ref_selftest.out" 2>"$T/ref_selftest.err"
  rc=$?
  oks=$(grep -c '^ok ' "$T/ref_selftest.out")
  G_PASS=$((G_PASS + oks))
  while IFS= read -r line; do
    fail "ref_selftest: ${line#FAIL }" "$(grep -A3 -F -- "$line" "$T/ref_selftest.out" | tail -n +2 | grep '^ ')"
  done < <(grep '^FAIL' "$T/ref_selftest.out")
  if [ "$oks" -eq 0 ] || { [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$T/ref_selftest.out"; }; then
    fail "ref_selftest runs to the end (exit $rc, $oks ok lines)" "$(tail -n 5 "$T/ref_selftest.out" "$T/ref_selftest.err")"
  fi
else
  fail "tests/ref_selftest.c compiles" "$(cat "$T/ref_selftest.cc.log")"
fi
end_group

# ---- b. every spec against the reference; gcc and clang warning-free ----------
group specs
mkdir -p "$T/specs"
names=() big=()
for s in specs/*.lua; do
  [ -e "$s" ] || continue
  n=$(basename "$s" .lua)
  # BIG_SPECS (the GNUmakefile's): generated here, compiled and checked by make bench
  if [[ " ${BIG_SPECS:-} " == *" $n "* ]]; then big+=("$n"); else names+=("$n"); fi
done
[ "${#names[@]}" -gt 0 ] || fail "specs/ holds no *.lua spec"
have_clang=1
command -v clang >/dev/null 2>&1 || have_clang=0
# Generation first (cheap), then the compiles, the largest C files first;
# the big specs' generation (ResNeXt-50's takes 15-20 s) beside them.
printf '%s\n' "${names[@]}" | xargs -P "$JOBS" -I{} bash tests/run.sh --job gen {}
jobs=()
for n in "${big[@]}"; do jobs+=("gen $n"); done
for n in $(for n in "${names[@]}"; do
             [ "$(cat "$T/specs/$n.gen.status")" = 0 ] && echo "$(stat -c %s "out/$n.c") $n"
           done | sort -rn | cut -d' ' -f2); do
  jobs+=("check $n")
  # the big specs' kernels come from the same templates; parsing 60 MB of
  # weights once more with clang costs a minute
  [ "$have_clang" = 1 ] && [ "$(stat -c %s "out/$n.c")" -lt 5000000 ] && jobs+=("clang $n")
done
printf '%s\n' "${jobs[@]}" | xargs -P "$JOBS" -L1 bash tests/run.sh --job
for n in "${big[@]}"; do
  if [ "$(cat "$T/specs/$n.gen.status")" = 0 ] && [ -s "out/$n.bin" ] && grep -q '\.incbin' "out/$n.c"; then
    pass
  else
    fail "specs/$n.lua: convgen --weights-bin -o out/$n fails, or writes no out/$n.bin" \
      "$(tail -n 12 "$T/specs/$n.gen.log")"
  fi
done
for n in "${names[@]}"; do
  if [ "$(cat "$T/specs/$n.gen.status")" != 0 ]; then
    fail "specs/$n.lua: convgen -o out/$n fails" "$(tail -n 12 "$T/specs/$n.gen.log")"
    continue
  fi
  if [ "$(cat "$T/specs/$n.check.status")" = 0 ] && tail -n 1 "$T/specs/$n.check.log" | grep -qx PASS; then
    pass
  else
    fail "specs/$n.lua: out/${n}_check (generated vs reference)" "$(grep -v '^  \(GEN\|CC\) ' "$T/specs/$n.check.log" | tail -n 12)"
  fi
  if [ "$have_clang" = 0 ]; then
    skip "specs/$n.lua with clang: clang is not installed (apt-get install clang)"
  elif [ ! -e "$T/specs/$n.clang.status" ]; then
    :                                   # a big spec: gcc -Werror only
  elif [ "$(cat "$T/specs/$n.clang.status")" = 0 ] && [ ! -s "$T/specs/$n.clang.log" ]; then
    pass
  else
    fail "out/$n.c with clang $NET_WARN $STRICT_WARN" "$(grep -E 'error|warning' "$T/specs/$n.clang.log" | head -n 8)"
  fi
done
G_NOTE="${#names[@]} specs${big:+, and ${big[*]} generated only (BIG_SPECS: make bench checks it)}"
end_group

# ---- regressions: tests/specs/*.lua, minimal repros, checked like random cases --
group regressions
mkdir -p "$T/regressions"
# a spec with a line `-- targets: A B ...` runs once per target; one with
# `-- also layout: nhwc` once more with NAME_forward taking and returning NHWC
for s in tests/specs/*.lua; do
  [ -e "$s" ] || continue
  if grep -q '^-- also layout: nhwc' "$s"; then
    { echo "-- layout: nhwc"; cat "$s"; } >"$T/regressions/$(basename "$s" .lua)_nhwc.lua"
  fi
  targets=$(sed -n 's/^-- targets: *//p' "$s")
  if [ -z "$targets" ]; then cp "$s" "$T/regressions/"; continue; fi
  for t in $targets; do
    { echo "-- target: $t"; cat "$s"; } >"$T/regressions/$(basename "$s" .lua)_$t.lua"
  done
done
ls "$T"/regressions/*.lua 2>/dev/null | CASE_PCH=$(x86_pch -O1) xargs -r -P "$JOBS" -I{} bash tests/run.sh --job case {}
for s in "$T"/regressions/*.lua; do
  [ -e "$s" ] || continue
  n=$(basename "$s" .lua)
  st=$(cat "$T/regressions/$n.status")
  if [ "$st" = PASS ]; then pass; else
    fail "tests/specs/$n.lua: $st" "$(sed -n 's/^-- //p' "$s" | head -n 4)" "$(grep -v '^ *$' "$T/regressions/$n.log" | head -n 8)"
  fi
done
end_group

# ---- c. random single-conv layers --------------------------------------------
group random
seed=${RANDOM_SEED:-1} count=${RANDOM_COUNT:-64}
mkdir -p "$T/random"
if ! $PY -B tests/random_convs.py --seed "$seed" --count "$count" --out "$T/random" >"$T/random/list" 2>"$T/random/gen.err"; then
  fail "tests/random_convs.py --seed $seed --count $count" "$(cat "$T/random/gen.err")"
fi
generated=$(ls "$T"/random/*.lua 2>/dev/null | wc -l)
[ "$generated" -ge "$count" ] || fail "$count random cases generated (got $generated)"
# -march=native, so that the AVX-512 kernels meet the random shapes and
# knobs; the sanitize and valgrind groups run their plain-C paths.
cut -d' ' -f1 "$T/random/list" | CASE_CFLAGS="-O1 -march=native" CASE_PCH=$(x86_pch "-O1 -march=native") \
  xargs -r -P "$JOBS" -I{} bash tests/run.sh --job case {}
G_MAX_SHOWN=15
while read -r spec desc; do
  n=$(basename "$spec" .lua)
  st=$(cat "$T/random/$n.status" 2>/dev/null || echo "no result")
  if [ "$st" = PASS ]; then pass; else
    i=${n##*_}
    fail "$n: $st" "$desc" "spec: $spec  (again: $PY tests/random_convs.py --seed $seed --only $i --out DIR)" \
         "$(grep -v '^ *$' "$T/random/$n.log" | grep -v '^\s*[0-9]* |' | head -n 6)"
  fi
done <"$T/random/list"
G_NOTE="seed $seed"
end_group
G_MAX_SHOWN=25

# run_cases LIST: the first field of each line of LIST is a spec, checked by
# the case job under whatever CASE_* variables are exported.
run_cases() {
  local list=$1 spec rest st
  cut -d' ' -f1 "$list" | xargs -r -P "$JOBS" -I{} bash tests/run.sh --job case {}
  while read -r spec rest; do
    st=$(cat "${spec%.lua}.status" 2>/dev/null || echo "no result")
    if [ "$st" = PASS ]; then pass; else
      fail "$spec: $st" "$rest" "$(grep -v '^ *$' "${spec%.lua}.log" | grep -v '^\s*[0-9]* |' | head -n 8)"
    fi
  done <"$list"
}

# ---- random graphs of 1-4 layers, built as users build: -O2 -march=native ------
# GCC 12 at -O2 with AVX-512 once misaligned a stack store here; -O1 and -O3
# did not, so these flags are worth a group of their own.
group graphs
mkdir -p "$T/graphs"
$PY -B tests/fuzz/random_graphs.py --seed "${GRAPH_SEED:-1}" --count "${GRAPH_COUNT:-45}" --out "$T/graphs" \
  >"$T/graphs/list" 2>"$T/graphs/gen.err" || fail "tests/fuzz/random_graphs.py" "$(cat "$T/graphs/gen.err")"
$PY -B tests/fuzz/random_graphs.py --blocks --seed "${GRAPH_SEED:-1}" --count "${BLOCK_COUNT:-20}" --out "$T/graphs" \
  >"$T/graphs/blocks" 2>"$T/graphs/gen.err" || fail "tests/fuzz/random_graphs.py --blocks" "$(cat "$T/graphs/gen.err")"
# a block's knob names it: a spec whose chain did not become one fails in convgen
cat "$T/graphs/blocks" >>"$T/graphs/list"
export CASE_CFLAGS="-O2 -march=native"
CASE_PCH=$(x86_pch "$CASE_CFLAGS") run_cases "$T/graphs/list"
unset CASE_CFLAGS
G_NOTE="seed ${GRAPH_SEED:-1}, $(wc -l <"$T/graphs/blocks") of them fused blocks"
end_group

# ---- every target kernel on its edge cases (tests/kernel_cases.py) --------------
# Each with its target's intrinsics (-march=native), then the avx2 ones again
# under memcheck (Valgrind 3.19 runs AVX2, not AVX-512).
group kernels
mkdir -p "$T/kernels" "$T/kernels_vg"
$PY -B tests/kernel_cases.py --out "$T/kernels" >"$T/kernels/list" 2>"$T/kernels/gen.err" ||
  fail "tests/kernel_cases.py" "$(cat "$T/kernels/gen.err")"
# Every NEON case, every eighth AVX-512 one and every eighth AVX2 one (the
# same table, the other templates: a quarter of the rows run on one of
# them; every fifteenth AVX2 one is memchecked below); KERNELS_ALL=1 (make
# test-full): all.  Every fourth took make test to 548-596 s of its 600,
# every third to 610 s on a slow day.
awk -v all="${KERNELS_ALL:-}" 'all != "" || /target avx512/ && n512++ % 8 == 0 || /target avx2/ && n2++ % 8 == 4 ||
  !/target avx/' "$T/kernels/list" >"$T/kernels/run"
export CASE_CFLAGS="-O1 -march=native"
CASE_PCH=$(x86_pch "$CASE_CFLAGS") run_cases "$T/kernels/run"
# clang with the intrinsics enabled sees what the plain-C paths hide (an
# activation helper only the #else path calls, say).  On every third case
# (KERNELS_CLANG_ALL=1: all): gcc builds every one at -Werror, and every
# third still takes several cases of each kernel and target.
if [ "$have_clang" = 1 ]; then
  step=3
  [ -n "${KERNELS_CLANG_ALL:-}" ] && step=1
  ls "$T"/kernels/*.c | grep -v '_ref\.c$' | sed -n "1~${step}p" |
    xargs -r -P "$JOBS" -I{} sh -c \
    'clang $NET_WARN $STRICT_WARN -march=native -fsyntax-only {} >{}.clang.log 2>&1 || echo {} >>"$T/kernels/clang.failed"'
  for f in $(cat "$T/kernels/clang.failed" 2>/dev/null); do
    fail "$f with clang -march=native $NET_WARN $STRICT_WARN" "$(grep -E 'error|warning' "$f.clang.log" | head -n 6)"
  done
  [ -s "$T/kernels/clang.failed" ] || pass
fi
if command -v valgrind >/dev/null 2>&1; then
  # every fifteenth avx2 case: all of them take minutes under memcheck (KERNELS_VG_ALL=1)
  : >"$T/kernels_vg/list"
  n=0
  while read -r spec rest; do
    case $rest in *"target avx2"*)
      n=$((n + 1))
      [ -z "${KERNELS_VG_ALL:-}" ] && [ $((n % 15)) != 1 ] && continue
      cp "$spec" "$T/kernels_vg/" && echo "$T/kernels_vg/$(basename "$spec") $rest" >>"$T/kernels_vg/list" ;;
    esac
  done <"$T/kernels/list"
  # --vex-guest-max-insns: as the GNUmakefile's VALGRIND, for unrolled tiles
  export CASE_CFLAGS="-O1 -g -mavx2 -mfma" CASE_RUN="valgrind --tool=memcheck --error-exitcode=1 --vex-guest-max-insns=25 -q"
  CASE_PCH=$(x86_pch "$CASE_CFLAGS") run_cases "$T/kernels_vg/list"
  unset CASE_RUN
fi
unset CASE_CFLAGS
G_NOTE="$(wc -l <"$T/kernels/run") of $(wc -l <"$T/kernels/list") specs, $(wc -l <"$T/kernels_vg/list" 2>/dev/null || echo 0) under memcheck"
end_group

# ---- the differential set again, convgen and checker under ASan and UBSan -------
group sanitize
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
mkdir -p "$T/asan" "$T/sanitize"
if ! make -s build/asan/convgen >"$T/asan/make.log" 2>&1; then
  fail "make build/asan/convgen" "$(tail -n 8 "$T/asan/make.log")"
else
  for f in check reference; do
    cc -O1 -g $SAN -std=c99 -Iharness -c "harness/$f.c" -o "$T/asan/$f.o" || fail "harness/$f.c with $SAN"
  done
  : >"$T/sanitize/list"
  # A sixth of the random layers (from the first; valgrind takes even ones)
  # and of the random graphs keep make test inside its time; SANITIZE_ALL=1
  # takes them all.
  step=6
  [ -n "${SANITIZE_ALL:-}" ] && step=1
  for spec in $(sed -n "1~${step}p" "$T/random/list" | cut -d' ' -f1) $(sed -n "1~${step}p" "$T/graphs/list" | cut -d' ' -f1) \
              tests/specs/*.lua; do
    [ -e "$spec" ] || continue
    cp "$spec" "$T/sanitize/" && echo "$T/sanitize/$(basename "$spec")" >>"$T/sanitize/list"
  done
  # -O0: ASan is most precise there, and an unrolled 7x7 layer takes 80 s at -O1
  export CASE_CONVGEN=build/asan/convgen CASE_SAN="$SAN" CASE_OBJS=$T/asan CASE_CFLAGS=-O0
  export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
  run_cases "$T/sanitize/list"
  unset CASE_CONVGEN CASE_SAN CASE_OBJS CASE_CFLAGS
fi
end_group

# ---- Valgrind: small specs and a slice of the random layers under memcheck ------
# No AVX-512 here: Valgrind 3.19 cannot run it.  Also convgen itself.
group valgrind
VG="valgrind --tool=memcheck --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all --track-origins=yes --vex-guest-max-insns=25 -q"
mkdir -p "$T/valgrind"
if ! command -v valgrind >/dev/null 2>&1; then
  skip "valgrind is not installed (apt-get install valgrind)"
else
  : >"$T/valgrind/list"
  small_specs=()
  for s in specs/*.lua; do
    # the MobileNets, ShuffleNetV2 and the ResNeXt stages take minutes under memcheck (make verify-all)
    heavy_spec "$(basename "$s" .lua)" || small_specs+=("$s")
  done
  # the net on three threads (tests/specs/threads.lua): its workers are
  # started and ended (the checker calls NAME_stop_threads), and each slice
  # of a strided 1x1 layer gathers into scratch of its own.
  # Even-numbered random cases (the sanitize group takes the odd ones), not
  # the avx2 ones: the kernels group memchecks AVX2 intrinsics, and on some
  # random shapes Valgrind 3.19 ran out of room translating them (before
  # --vex-guest-max-insns; tests/specs/stem_block.lua is one)
  for spec in "${small_specs[@]}" $(sed -n '2~2p' "$T/random/list" | grep -v 'target avx2' |
                                    head -n "${VALGRIND_RANDOM:-4}" | cut -d' ' -f1) \
              $(grep -v 'target avx2' "$T/graphs/blocks" | head -n "${VALGRIND_BLOCKS:-3}" | cut -d' ' -f1) \
              "$T/regressions/threads_generic.lua" "$T/regressions/stem_block_avx2.lua"; do
    cp "$spec" "$T/valgrind/" && echo "$T/valgrind/$(basename "$spec")" >>"$T/valgrind/list"
  done
  export CASE_CFLAGS="-O1 -g -mavx2 -mfma" CASE_RUN="$VG"
  CASE_PCH=$(x86_pch "$CASE_CFLAGS") run_cases "$T/valgrind/list"
  unset CASE_CFLAGS CASE_RUN
  # convgen itself on the specs whose C is under 1 MB: its own code paths
  # are the same for the larger ones; and not on the one-layer specs
  # (conv_*, dsconv_*, pointwise_*), whose paths the others take too
  vg_gen_specs=()
  for s in "${small_specs[@]}"; do
    case $(basename "$s") in conv_* | dsconv_* | pointwise_*) continue ;; esac
    [ "$(stat -c %s "out/$(basename "$s" .lua).c" 2>/dev/null || echo 0)" -lt 1000000 ] && vg_gen_specs+=("$s")
  done
  export VG
  printf '%s\n' "${vg_gen_specs[@]}" | xargs -r -P "$JOBS" -I{} bash tests/run.sh --job vgconvgen {}
  for s in "${vg_gen_specs[@]}"; do
    out=$T/valgrind/convgen_$(basename "$s" .lua)
    if [ "$(cat "$out.status")" = 0 ]; then pass; else
      fail "convgen under memcheck on $s" "$(head -n 12 "$out.err")"
    fi
  done
  G_NOTE="${#small_specs[@]} specs, $(wc -l <"$T/valgrind/list") checked networks"
fi
end_group

# ---- strict: the generated C under -Wconversion -Wshadow, and cppcheck ----------
# clang does every spec in the specs group; gcc here does the small specs and
# the random graphs (parsing the big specs' weights twice more costs minutes).
group strict
strict_files=()
for n in "${names[@]}"; do
  [ -f "out/$n.c" ] && ! heavy_spec "$n" && strict_files+=("out/$n.c")
done
mkdir -p "$T/strict"
# and a net on three threads (the regressions group generated it): its
# workers, meetings and per-thread programs
files=("${strict_files[@]}" $(ls "$T"/graphs/*.c 2>/dev/null | grep -v '_ref\.c$') "$T/regressions/threads_avx512.c")
printf '%s\n' "${files[@]}" | xargs -r -P "$JOBS" -I{} bash tests/run.sh --job strict {}
for f in "${files[@]}"; do
  out=$T/strict/$(echo "$f" | tr / _)
  if [ "$(cat "$out.status")" = 0 ]; then pass; else
    fail "$f with gcc $NET_WARN $STRICT_WARN" "$(grep -E 'error|warning' "$out.log" | head -n 6)"
  fi
done
if ! command -v cppcheck >/dev/null 2>&1; then skip "cppcheck is not installed (apt-get install cppcheck)"; else
  small=()
  for f in "${strict_files[@]}"; do
    # under 500 KB: cppcheck takes most of a minute on resnext_block's 860 KB
    [ "$(stat -c %s "$f")" -lt 500000 ] && small+=("$f")
  done
  printf '%s\n' "${small[@]}" | xargs -r -P "$JOBS" -I{} bash tests/run.sh --job cppcheck {}
  for f in "${small[@]}"; do
    out=$T/strict/cppcheck_$(basename "$f" .c)
    if [ "$(cat "$out.status")" = 0 ]; then pass; else
      fail "cppcheck $f" "$(head -n 6 "$out.log")"
    fi
  done
fi
# The pointwise register tile as GCC compiles it where a layer is inlined
# (see the spec's comment): an FMA reading a whole vector from memory, or
# a vector register stored to or loaded from the stack, means the tile no
# longer fits in registers.  Broadcast operands ({1to16}) are by design.
spec=tests/specs/pointwise_in_registers.lua obj=$T/strict/pointwise_in_registers.o
if [ "$(uname -m)" != x86_64 ]; then
  skip "$spec's register check: x86-64 only"
elif ! ./convgen --bench --target avx512 "$spec" >"${obj%.o}.c" 2>"${obj%.o}.log" ||
   ! gcc -O3 -mavx512f -mfma -std=c99 -Iharness -c "${obj%.o}.c" -o "$obj" 2>>"${obj%.o}.log"; then
  fail "$spec: generating or compiling its bench bundle" "$(head -n 6 "${obj%.o}.log")"
else
  dis=${obj%.o}.dis
  objdump -d --no-show-raw-insn "$obj" >"$dis"
  folded=$(grep -E 'vfn?madd[0-9]+ps' "$dis" | grep '(%' | grep -vc '1to')
  spilled=$(grep -E 'mov[au]ps' "$dis" | grep '%zmm' | grep -c '(%rsp)')
  if [ "$folded" = 0 ] && [ "$spilled" = 0 ]; then pass; else
    fail "$spec: gcc -O3 -mavx512f: $folded FMAs load a vector operand from memory, $spilled vector moves to or from the stack" \
      "$({ grep -E 'vfn?madd[0-9]+ps.*\(%' "$dis" | grep -v 1to; grep -E 'mov[au]ps.*%zmm' "$dis" | grep '(%rsp)'; } | head -n 4)"
  fi
fi
end_group

# The ONNX group's scripts (counted at the end): torch exports one model
# at a time, and the groups from here on leave a core idle most of the time.
if [ -x "$PY" ]; then
  python_start onnx tests/onnx_test.py
  onnx_pid=$PY_PID
  python_start onnx_ops tests/onnx_ops_test.py
  onnx_ops_pid=$PY_PID
fi

# ---- fuzz: every input the fuzzers ever broke convgen with, replayed ------------
group fuzz
if ! make -s build/fuzz/fuzz_spec build/fuzz/fuzz_weights build/fuzz/fuzz_onnx >"$T/fuzz.log" 2>&1; then
  fail "make build/fuzz/fuzz_spec build/fuzz/fuzz_weights build/fuzz/fuzz_onnx" "$(tail -n 8 "$T/fuzz.log")"
else
  for f in tests/fuzz/regressions/*; do
    [ -e "$f" ] || continue
    case $f in
    *.safetensors) target=build/fuzz/fuzz_weights ;;
    *.onnx) target=build/fuzz/fuzz_onnx ;;
    *) target=build/fuzz/fuzz_spec ;;
    esac
    if timeout 60 $target "$f" >"$T/fuzz.log" 2>&1; then pass; else
      fail "$target $f" "$(grep -v '^INFO' "$T/fuzz.log" | head -n 8)"
    fi
  done
fi
end_group

# ---- d. spec errors ------------------------------------------------------------
# Each tests/errors/F.lua starts with "-- expect: SUBSTRING", optionally
# "-- exit: N" (default 1) and "-- line: none|any"; otherwise the line that
# ends with "-- error here" is the one the message must name (F.lua:LINE:).
group errors
for f in tests/errors/*.lua; do
  exp=$(sed -n '1s/^-- expect: //p' "$f")
  code=$(sed -n 's/^-- exit: *//p' "$f" | head -n 1)
  where=$(sed -n 's/^-- line: *//p' "$f" | head -n 1)
  line=$(grep -n -- '-- error here$' "$f" | head -n 1 | cut -d: -f1)
  if [ -z "$exp" ]; then fail "$f: its first line must be '-- expect: <substring>'"; continue; fi
  if [ -z "$where" ] && [ -z "$line" ]; then fail "$f: no line ends with '-- error here' (or say '-- line: none|any')"; continue; fi
  if expect "$f" "${code:-1}" "$exp" -- ./convgen "$f"; then
    problems=""
    case $where in
      none) grep -qF -- "$f" "$T/last.err" || problems="the message does not name $f" ;;
      any)  grep -qE -- "$f:[0-9]+:" "$T/last.err" || problems="the message does not name $f and a line" ;;
      *)    grep -qF -- "$f:$line:" "$T/last.err" || problems="the message does not name $f:$line:" ;;
    esac
    [ -s "$T/last.out" ] && problems="${problems:+$problems; }wrote to stdout on failure"
    if [ -n "$problems" ]; then
      G_PASS=$((G_PASS - 1))
      fail "$f" "$problems" "stderr: $(head -c 400 "$T/last.err")"
    fi
  fi
done
end_group

# ---- e. the command line -------------------------------------------------------
group cli
D=$T/cli
mkdir -p "$D"
cg=./convgen
ds=specs/ds_block.lua
if [ ! -f "$ds" ]; then
  ds=$D/ds_block.lua
  printf '%s\n' 'return net "ds_block" {' '  input "x" {C = 32, H = 32, W = 32},' \
    '  conv "dw" {out = 32, k = 3, pad = 1, groups = 32, bias = false},' \
    '  conv "pw" {out = 64, k = 1, bias = false},' '  batchnorm "bn" {},' '  relu {},' '}' >"$ds"
fi
cat >"$D/bad.lua" <<'EOF'
return net "bad" {
  input "x" {C = 30, H = 8, W = 8},
  conv "c" {out = 32, k = 3, groups = 4},
}
EOF
# A net with many names and kinds of layer: more chances for an unordered
# table to show in the output.
cat >"$D/many.lua" <<'EOF'
local layers = {input "x" {C = 8, H = 15, W = 13}, input "y" {C = 8, H = 15, W = 13}}
for i = 1, 12 do
  layers[#layers + 1] = conv ("b" .. i .. ".c") {out = 8, k = 3, pad = 1, groups = (i % 2) + 1}
  layers[#layers + 1] = batchnorm ("b" .. i .. ".bn") {}
  layers[#layers + 1] = relu6 ("b" .. i .. ".act") {}
end
layers[#layers + 1] = add "sum" {from = {"b12.act", "y"}}
layers[#layers + 1] = concat "cat" {from = {"sum", "b6.act", "x"}}
layers[#layers + 1] = maxpool "mp" {k = 3, stride = 2, pad = 1}
layers[#layers + 1] = avgpool "ap" {k = 2, count_include_pad = false}
layers[#layers + 1] = gap "g" {}
layers[#layers + 1] = flatten "f" {}
layers[#layers + 1] = linear "fc" {out = 10}
layers.outputs = {"fc", "cat"}
return net "many" (layers)
EOF

expect "--help exits 0" 0 "" -- $cg --help && { grep -q "usage: convgen" "$T/last.out" && pass || fail "--help prints the usage on stdout"; }
expect "--version exits 0" 0 "" -- $cg --version && { grep -qE '^convgen [0-9]+\.[0-9]+' "$T/last.out" && pass || fail "--version prints 'convgen X.Y'" "$(cat "$T/last.out")"; }
expect "--help-spec exits 0" 0 "" -- $cg --help-spec && { grep -q "conv" "$T/last.out" && pass || fail "--help-spec describes conv"; }
expect "unknown option" 2 "unknown option '--frobnicate'" -- $cg --frobnicate $ds
expect "no spec" 2 "no spec given" -- $cg
expect "two specs" 2 "more than one spec" -- $cg $ds "$D/many.lua"
expect "--knob without =" 2 "--knob takes LAYER:KNOB=N" -- $cg --knob pw $ds
expect "--knob with a non-numeric value" 2 "--knob takes LAYER:KNOB=N" -- $cg --knob pw:oc_tile=x $ds
expect "--knob without its value" 2 "needs a value" -- $cg $ds --knob
expect "--knob naming a knob the kernel lacks" 2 "no knob 'nosuch'" -- $cg --knob pw:nosuch=2 $ds
expect "--knob naming a layer the net lacks" 2 "nosuch" -- $cg --knob nosuch:oc_tile=2 $ds
expect "--knob with a value out of the template's range" 2 "oc_tile" -- $cg --knob pw:oc_tile=99 $ds
expect "-o without its value" 2 "needs a value" -- $cg $ds -o
expect "--max-instructions 0" 2 "positive integer" -- $cg --max-instructions 0 $ds
expect "--max-memory abc" 2 "positive integer" -- $cg --max-memory abc $ds
expect "--name not a C identifier" 2 "C identifier" -- $cg --name 1x $ds
expect "--summary with -o" 2 "--summary" -- $cg --summary -o "$D/x" $ds
expect "--bench with --reference" 2 "give one" -- $cg --bench --reference $ds
expect "--emit-spec on a Lua spec" 2 "ONNX model" -- $cg --emit-spec $ds
# Fused blocks (specs/shufflenet_v2_block.lua's branches: 1x1 -> depthwise -> 1x1, 28x28 out)
sb=specs/shufflenet_v2_block.lua
expect "--fuse with a mode it lacks" 2 "--fuse takes auto, all or off" -- $cg --fuse some $sb
expect "--threads 0" 2 "option --threads needs a positive integer" -- $cg --threads 0 $sb
expect "--threads with --tune" 2 "leave out --threads" -- $cg --tune --threads 2 $sb
# found by fuzzing: each was a traceback, a hang or silence before
expect "--threads past its limit" 2 "--threads takes 1 to 256" -- timeout 20 $cg --threads 2147483647 $sb
expect "--threads with a leading space" 2 "positive integer" -- $cg --threads " 2" $sb
expect "--knob band_rows=0" 2 "band_rows=0: it must divide the block's 28 output rows" -- \
  $cg --fuse all --knob u2_pw1_block:band_rows=0 $sb
expect "--knob with a value past 64 bits" 2 "is too large" -- $cg --knob pw:mr=9223372036854775808 $ds
expect "a spec that is a character device" 1 "/dev/zero: it is a character device, not a file" -- timeout 20 $cg /dev/zero
expect "--weights that is a character device" 1 "it is a character device" -- timeout 20 $cg --weights /dev/zero $ds
printf 'return %s1%s\n' "$(printf '(%.0s' $(seq 300))" "$(printf ')%.0s' $(seq 300))" >"$D/nested.lua"
expect "a spec nested past the parser's depth" 1 "$D/nested.lua: C stack overflow (nested too deeply)" -- $cg "$D/nested.lua"
printf 'error({})\n' >"$D/raise_table.lua"
expect "a spec raising a table" 1 "$D/raise_table.lua: the spec raised an error with a table, not a message" -- \
  $cg "$D/raise_table.lua"
printf 'error("boom", 0)\n' >"$D/raise_level0.lua"
expect "a spec raising a message with no position" 1 "$D/raise_level0.lua: boom" -- $cg "$D/raise_level0.lua"
printf 'local k = math.random(1, 3)\n' >"$D/random.lua"
expect "math.random in a spec" 1 "$D/random.lua:1: 'math.random' is not available in a spec" -- $cg "$D/random.lua"
expect "-o with an empty path" 2 "-o '' names no file" -- $cg -o "" $ds
expect "-o with a directory" 2 "-o '$D/' names no file" -- $cg -o "$D/" $ds
[ ! -e "$D/.c" ] && [ ! -e .c ] && pass || fail "-o '' or -o DIR/ wrote a hidden .c"
# a name of 100,000 bytes was echoed whole, in every message that named it
printf 'return net "t" {input "x" {C = 4, H = 4, W = 4}, conv (string.rep("a", 100000)) {out = 4, k = 3}}\n' >"$D/long_name.lua"
expect "a layer name of 100,000 bytes" 1 "$D/long_name.lua:1: the conv layer's name \"aaaa" -- $cg "$D/long_name.lua"
[ "$(wc -c <"$T/last.err")" -lt 400 ] && pass || fail "the long layer name is quoted short" "$(head -c 300 "$T/last.err")"
printf 'return net "t" {input "x" {C = 4, H = 4, W = 4}, relu {from = string.rep("b", 300)}}\n' >"$D/long_from.lua"
expect "a from of 300 bytes" 1 "(names of at most 255 bytes), got \"bbbb" -- $cg "$D/long_from.lua"
grep -q '"\.\.\. (300 bytes)$' "$T/last.err" && pass || fail "the long from is quoted short" "$(head -c 600 "$T/last.err")"
# names the generated file uses itself, or its headers do, as layer and input names: renamed
for nm in arena n NULL size_t memcpy CONVGEN_ALIGN T_X_SIZE _mm512_fmadd_ps; do
  for names in "$nm c" "x $nm"; do
    set -- $names
    printf 'return net "t" {input "%s" {C = 8, H = 6, W = 6}, conv "%s" {out = 8, k = 3, pad = 1}, relu "r" {}}\n' \
      "$1" "$2" >"$D/names.lua"
    if $cg -o "$D/names" "$D/names.lua" 2>"$D/names.err" && cc $NET_WARN -c "$D/names.c" -o "$D/names.o" 2>>"$D/names.err"; then
      pass
    else
      fail "an input named $1 and a layer named $2: the C compiles" "$(head -c 600 "$D/names.err")"
    fi
  done
done
# Ctrl-C while -o writes: the outputs are written whole first (or not at all), never a temporary
if [ -x "$PY" ]; then
  if $PY - "$cg" "$D/interrupted" specs/mobilenet_v2.lua <<'PYEOF' >"$D/interrupt.log" 2>&1
import glob, os, signal, subprocess, sys, time
convgen, out, spec = sys.argv[1:4]
for f in glob.glob(out + "*"):
    os.remove(f)
p = subprocess.Popen(convgen.split() + ["-o", out, spec])
while p.poll() is None and not glob.glob(out + ".[ch].*"):
    time.sleep(0.0005)
sent = p.poll() is None
if sent:
    p.send_signal(signal.SIGINT)
p.wait()
left = sorted(glob.glob(out + "*"))
print("signalled during the write" if sent else "finished first", left)
sys.exit(0 if not glob.glob(out + ".[ch].*") and left in ([], [out + ".c", out + ".h"]) else 1)
PYEOF
  then pass; else fail "Ctrl-C during -o leaves no temporary and no partial set of outputs" "$(tail -n 3 "$D/interrupt.log")"; fi
fi
# --threads 2 on the block spec: its wide tensors are under 1 MiB, so no blocks; its 1x1 layers
# have more pixels than output channels, so they are cut by pixels, the depthwise ones by
# channels; u2's concat-and-shuffle by pixels too (u1's is no step: its 1x1 layers write
# their planes of it), and the two slices are no steps at all
if expect "--threads 2 --summary $sb" 0 "" -- $cg --threads 2 --summary $sb; then
  grep -q "^fused block" "$T/last.out" && fail "--threads 2 fuses blocks under 1 MiB" "$(grep '^fused' "$T/last.out")" || pass
  grep -q "^threads: 2; 3 steps cut by output channels, .*; 0 blocks cut by rows.*steps cut by pixels (6): u1_right_pw1, u1_left_pw, u1_right_pw2, u2_pw1, u2_pw2, u2_cat_shuffled; on thread 0 alone (0): none" \
    "$T/last.out" && pass || fail "--threads 2 --summary $sb: the cut steps" "$(grep '^threads' "$T/last.out")"
fi
# A layer cut by pixels has one copy of its weights, which every slice reads, and
# --summary counts the floats the file holds (MobileNetV2 on 2 threads: 3,829,832,
# against 4,095,208 with a copy a thread); a channel slice of a layer too narrow for
# the channel-vector kernel takes another, which --summary names, and a --knob that
# kernel lacks says so (144x5x5 -> 16 on AVX2: slices of 8 channels, pwconv_avx2)
cat >"$D/weights_count.sh" <<'SHEOF'
# weights_count.sh C_FILE SUMMARY: the summary's weight count is the file's
want=$(sed -n 's/^weights in the generated C: \([0-9,]*\) floats.*/\1/p' "$2" | tr -d ,)
have=$(grep -o 'const float [A-Za-z0-9_]*\[[0-9]*\]' "$1" | sed 's/.*\[\([0-9]*\)\]/\1/' | awk '{s += $1} END {print s}')
[ -n "$want" ] && [ "$want" = "$have" ] || { echo "--summary says ${want:-nothing}, the file holds $have"; exit 1; }
SHEOF
for spec in specs/pointwise_32_64.lua specs/mobilenet_v2.lua; do
  if $cg --threads 2 "$spec" >"$D/wc.c" 2>"$D/wc.err" && $cg --threads 2 --summary "$spec" >"$D/wc.sum" 2>>"$D/wc.err"; then
    sh "$D/weights_count.sh" "$D/wc.c" "$D/wc.sum" >"$D/wc.verdict" 2>&1 && pass ||
      fail "--threads 2 --summary $spec counts the weights the C holds" "$(cat "$D/wc.verdict")"
  else
    fail "--threads 2 $spec" "$(head -n 3 "$D/wc.err")"
  fi
done
$cg --threads 2 specs/pointwise_32_64.lua | grep -q "pw_thread1_[wb]" &&
  fail "--threads 2: a 1x1 layer cut by pixels holds a copy of its weights a thread" || pass
printf '%s\n' 'return net "narrow" {' '  input "x" {C = 144, H = 5, W = 5},' '  pwconv "c" {out = 16},' '}' >"$D/narrow.lua"
if expect "--threads 2 --summary a narrow 1x1 layer" 0 "" -- $cg --target avx2 --threads 2 --summary "$D/narrow.lua"; then
  grep -q "^target kernels: 1 pwconv_avx2$" "$T/last.out" && pass ||
    fail "--threads 2 --summary names the kernel the slices take" "$(grep '^target kernels' "$T/last.out")"
fi
expect "--knob the slices' kernel lacks" 2 "its pwconv_avx2 kernel has no knob 'mv' (did you mean 'mr'?) (with --threads, the layer runs in slices, one a thread; this one, its output channels 0 to 7, takes that kernel)" -- \
  $cg --target avx2 --threads 2 --knob c:mv=1 "$D/narrow.lua"
expect "--knob only the slices' kernel has" 0 "" -- $cg --target avx2 --threads 2 --knob c:mr=2 --summary "$D/narrow.lua"
# the slices of whole channels are read in place, unless nothing is fused; and u1's
# two 1x1 layers write their planes of its shuffle themselves, so that its concat
# and shuffle is no step (u2's is the net's output: the caller's buffer is written
# by the concat and shuffle alone)
if expect "--summary $sb" 0 "" -- $cg --summary $sb; then
  grep -q "^channel slices read in place, not copied (2): u2_keep, u2_half$" "$T/last.out" &&
    grep -q "generated steps (1 concat_shuffle, 3 dwconv, 5 pwconv)$" "$T/last.out" && pass ||
    fail "--summary $sb: the slices read in place" "$(grep '^channel\|generated steps' "$T/last.out")"
  grep -q "^1x1 layers writing their planes of a channel shuffle in place (2): u1_left_pw, u1_right_pw2; concat and shuffles with nothing left to move (1): u1_cat_shuffled$" \
    "$T/last.out" && pass || fail "--summary $sb: the 1x1 layers that write into the shuffle" "$(grep '^1x1' "$T/last.out")"
  # u1_left_pw waits for the right branch, so the shuffled u1 is not live while it runs:
  # the arena is smaller than layer by layer (984,704 against 1,091,328 bytes)
  arena=$(sed -n 's/^arena: \([0-9,]*\) bytes planned by liveness.*; \([0-9,]*\) bytes layer by layer.*/\1 \2/p' "$T/last.out" | tr -d ,)
  [ -n "$arena" ] && [ "${arena% *}" -lt "${arena#* }" ] && pass ||
    fail "--summary $sb: the arena is smaller than layer by layer" "$(grep '^arena' "$T/last.out")"
fi
if expect "--fuse off --summary $sb" 0 "" -- $cg --fuse off --summary $sb; then
  grep -q "^channel slices read in place\|^1x1 layers writing" "$T/last.out" &&
    fail "--fuse off reads slices or writes a shuffle in place" || pass
fi
# in the C: u1's 1x1 layers write every other plane of u1 (channel c to 2c and 2c + 1),
# u1_left_pw after the right branch, the pass calls no u1_cat_shuffled, and
# u2_cat_shuffled moves both its inputs
$cg $sb >"$D/sb.c" 2>"$D/sb.err"
fwd=$(sed -n '/^void shufflenet_v2_block_forward_with.*)$/,/^}/p' "$D/sb.c")
grep -q "^ \* writes its channel c to plane 2\*c of u1_cat_shuffled's output" "$D/sb.c" &&
  grep -q "^ \* writes its channel c to plane 2\*c + 1 of u1_cat_shuffled's output" "$D/sb.c" &&
  grep -A1 "u1_right_dw(" <<<"$fwd" | grep -q "u1_left_pw_interleaved(" && grep -q "u2_cat_shuffled(arena[ +0-9]*, arena[ +0-9]*, out_u2)" <<<"$fwd" &&
  ! grep -q "u1_cat_shuffled" <<<"$fwd" && pass ||
  fail "$sb: u1's 1x1 layers write their planes of the shuffle, and no u1_cat_shuffled runs" "$fwd"
# on two threads too, each slice of them writing its share of their planes
$cg --threads 2 $sb >"$D/sb2.c" 2>"$D/sb2.err"
grep -q "^static void u1_left_pw_interleaved_thread1(" "$D/sb2.c" && grep -q "^static void u1_right_pw2_interleaved_thread1(" "$D/sb2.c" &&
  ! grep -q "^static void u1_cat_shuffled" "$D/sb2.c" && pass ||
  fail "--threads 2 $sb: u1's 1x1 layers write their planes of the shuffle, a slice a thread" "$(grep '^static void' "$D/sb2.c")"
# ... and with --fuse all, each block's bands are shared out: one band of 14 rows a thread
# (the two 1x1 -> depthwise -> 1x1 branches and u1's depthwise -> 1x1 pair)
if expect "--threads 2 --fuse all --summary $sb" 0 "" -- $cg --threads 2 --fuse all --summary $sb; then
  [ "$(grep -c "^fused block .*per thread; thread 0 bands 0-0, thread 1 bands 1-1$" "$T/last.out")" = 3 ] &&
    grep -q "^threads: 2; 0 steps cut by output channels, .*; 3 blocks cut by rows" "$T/last.out" && pass ||
    fail "--threads 2 --fuse all --summary $sb: the blocks' bands" "$(grep '^fused\|^threads' "$T/last.out")"
fi
expect "band_rows that does not divide the rows" 2 "band_rows=5: it must divide the block's 28 output rows" -- \
  $cg --fuse all --knob u2_pw1_block:band_rows=5 $sb
expect "a knob a block lacks" 2 "a block's one knob is band_rows" -- $cg --fuse all --knob u2_pw1_block:rows=2 $sb
# --summary lists the blocks, and the arena with them is smaller than layer by layer
# (MobileNetV2's, by default: 1.6 MB against 6.0 MB, the 96x112x112 tensor gone, and
# the stem's and features.1's depthwise outputs: its stem -> depthwise -> 1x1 chain;
# dsconv_s1 is one depthwise -> 1x1 pair; resnext_block one grouped bottleneck), or
# for the ShuffleNet units within 5% of it: their slices, read in place, keep the
# whole shuffled tensor live while its first half waits for the concat (1,104,320
# bytes against 1,091,328).
cat >"$D/fuse_summary.py" <<'PYEOF'
import re, sys
text, want, smaller = open(sys.argv[1]).read(), sys.argv[2].split(","), sys.argv[3] == "smaller"
blocks = re.findall(r"^fused block (\S+):", text, re.M)
m = re.search(r"^arena: ([\d,]+) bytes planned by liveness.*; ([\d,]+) bytes layer by layer", text, re.M)
fused, unfused = (int(g.replace(",", "")) for g in m.groups()) if m else (0, 0)
ok = blocks == want and 0 < fused and (fused < unfused if smaller else fused <= unfused * 1.05)
print("ok" if ok else f"blocks {blocks}, arena {fused} fused vs {unfused} layer by layer")
sys.exit(0 if ok else 1)
PYEOF
# A 7x7 stem on 3 channels takes the channel-vector kernel (AVX2 and AVX-512: named,
# so that the host does not matter), which runs no bands: the stem runs whole, and
# its depthwise -> 1x1 pair is still a block.  MobileNetV1
# alternates depthwise and 1x1 layers, so its chains share 1x1 layers: the ones
# with the wider tensors (64x112x112, 128x56x56) win over the stem's and the rest.
printf '%s\n' 'return net "stem7" {' '  input "x" {C = 3, H = 224, W = 224},' \
  '  conv "stem" {out = 32, k = 7, stride = 2, pad = 3},' '  dwconv "dw" {k = 3, pad = 1},' \
  '  pwconv "pw" {out = 16},' '}' >"$D/stem7.lua"
for c in "$sb all u1_left_dw_block,u1_right_pw1_block,u2_pw1_block within5%" \
         "specs/dsconv_s1.lua all dw_block smaller" \
         "$D/stem7.lua auto dw_block smaller --target avx2" \
         "specs/mobilenet_v1.lua auto pw1_block,pw3_block smaller" \
         "specs/resnext_block.lua all reduce_block smaller" \
         "specs/mobilenet_v2.lua auto features_0_0_block,features_2_conv_0_0_block,features_3_conv_0_0_block,features_4_conv_0_0_block smaller"; do
  set -- $c
  if expect "--fuse $2 --summary $1 ${*:5}" 0 "" -- $cg --fuse "$2" --summary "${@:5}" "$1"; then
    $PY "$D/fuse_summary.py" "$T/last.out" "$3" "$4" >"$D/fuse_summary.verdict" 2>&1 && pass ||
      fail "--fuse $2 --summary $1 lists the blocks $3, and the arena is $4 of layer by layer" "$(cat "$D/fuse_summary.verdict")"
  fi
done
# A grouped middle layer (ResNeXt's) fuses under --fuse all only (above), not by default
if expect "--summary specs/resnext50_layer2.lua" 0 "" -- $cg --summary specs/resnext50_layer2.lua; then
  grep -q "^fused block" "$T/last.out" && fail "--fuse auto fuses a chain with a grouped middle" \
    "$(grep '^fused' "$T/last.out")" || pass
fi
# MobileNetV2's features.3 is an inverted residual: its block takes the add into its
# 1x1 layer's epilogue, band by band, and no add step is left in the pass (the sums
# themselves are checked by make check's mobilenet_v2 and the random blocks above).
if expect "--summary specs/mobilenet_v2.lua" 0 "" -- $cg --summary specs/mobilenet_v2.lua; then
  grep -q "^fused block features_3_conv_0_0_block: .* -> features.3.conv.2 + features.3.add in bands" "$T/last.out" &&
    grep -q "^net 'mobilenet_v2': 152 layers -> 46 generated steps (4 block, 13 dwconv," "$T/last.out" && pass ||
    fail "MobileNetV2's features.3 block takes its residual add" "$(grep "^fused block features_3\|^net " "$T/last.out")"
fi
# --layout nhwc as a user calls it: an image held channels last goes straight into
# NAME_forward, and what comes out is the NCHW net's output, channels last.  The
# two nets are generated apart (--name) and compared by a program that moves the
# data itself, so neither the net's transposes nor the checker's copies vouch
# for themselves.
expect "--layout with a layout it lacks" 2 "--layout takes nchw or nhwc" -- $cg --layout hwc specs/dsconv_s2.lua
expect "--layout nhwc with --bench" 2 "--bench and --tune time the NCHW one" -- \
  $cg --layout nhwc --bench -o "$D/nb" specs/dsconv_s2.lua
cat >"$D/layout_main.c" <<'CEOF'
#include <math.h>
#include <stdio.h>
#include "planar.h"
#include "last.h"
#define C PLANAR_X_C
#define H PLANAR_X_H
#define W PLANAR_X_W
#define OC PLANAR_PW_C
#define OH PLANAR_PW_H
#define OW PLANAR_PW_W
static float image_hwc[H * W * C], image_chw[C * H * W], out_chw[OC * OH * OW], out_hwc[OH * OW * OC];
int main(void)
{
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) {
        float v = (float)((y * 31 + x * 17 + c * 7) % 23) / 23.0f - 0.5f;
        image_hwc[(y * W + x) * C + c] = v;
        image_chw[(c * H + y) * W + x] = v;
      }
  planar_forward(image_chw, out_chw);
  last_forward(image_hwc, out_hwc);
  double worst = 0;
  for (int c = 0; c < OC; ++c)
    for (int p = 0; p < OH * OW; ++p) {
      double d = fabs(out_chw[c * OH * OW + p] - out_hwc[p * OC + c]);
      if (!(d <= worst)) worst = d;
    }
  printf("largest difference %g\n", worst);
  return worst == 0 ? 0 : 1;
}
CEOF
if expect "--layout nchw -o (the layout test's planar net)" 0 "" -- \
     $cg --layout nchw --name planar -o "$D/planar" specs/dsconv_s2.lua &&
   expect "--layout nhwc -o" 0 "" -- $cg --layout nhwc --name last -o "$D/last" specs/dsconv_s2.lua; then
  grep -q "^/\* input 'x': 1 x 32 x 56 x 56 floats, NHWC (1 x 56 x 56 x 32 in memory) \*/" "$D/last.h" && pass ||
    fail "--layout nhwc: the header does not say the input is NHWC" "$(grep "^/\* input" "$D/last.h")"
  if cc -O1 $NET_WARN -I"$D" -o "$D/layout_main" "$D/layout_main.c" "$D/planar.c" "$D/last.c" -lm 2>"$D/layout.log" &&
     "$D/layout_main" >>"$D/layout.log" 2>&1; then pass; else
    fail "--layout nhwc: the NHWC net differs from the NCHW one on the same image" "$(tail -n 5 "$D/layout.log")"
  fi
fi
# --weights-bin: the large arrays go to PATH.bin and are assembled in; the net
# compiles warning-free from where convgen ran, links, and checks out.
cat >"$D/big.lua" <<'LUAEOF'
return net "big" {
  input "x" {C = 128, H = 6, W = 7},
  pwconv "expand" {out = 160}, relu "r" {},      -- 20480 weights: to the .bin
  conv "down" {out = 64, k = 1, stride = 2},     -- 10240: stays text
  gap "pool" {}, flatten "f" {}, linear "fc" {out = 300},   -- 19200: to the .bin
}
LUAEOF
expect "--weights-bin without -o" 2 "--weights-bin writes PATH.bin beside the C: it needs -o PATH" -- \
  $cg --weights-bin "$D/big.lua"
expect "--weights-bin with --summary" 2 "" -- $cg --weights-bin --summary "$D/big.lua"
expect "--weights-bin with a quote in the path" 2 "cannot hold a quote" -- $cg --weights-bin -o "$D/a\"b" "$D/big.lua"
if expect "--weights-bin -o" 0 "" -- $cg --weights-bin -o "$D/big" "$D/big.lua"; then
  size=$(wc -c <"$D/big.bin") incbins=$(grep -c '\.incbin' "$D/big.c") texts=$(grep -c '^static CONVGEN_ALIGN const float' "$D/big.c")
  # (packed weights may have rows of padding; each array starts at a multiple of 64 bytes)
  [ "$size" -ge $(((20480 + 19200) * 4)) ] && [ $((size % 64)) = 0 ] && [ "$incbins" = 2 ] && [ "$texts" -ge 3 ] &&
    pass || fail "--weights-bin: big.bin is $size bytes, want 158720 or more, a multiple of 64;" \
      "$incbins .incbin arrays, want 2; $texts text arrays, want 3 or more"
  if cc -O1 -march=native $NET_WARN -c "$D/big.c" -o "$D/big.o" 2>"$D/big.log" &&
     $cg --reference -o "$D/big_ref" "$D/big.lua" && cc -O0 -std=c99 -Iharness -c "$D/big_ref.c" -o "$D/big_ref.o" &&
     cc -o "$D/big_check" "$D/big.o" "$D/big_ref.o" "$T/check.o" "$T/reference.o" -lm &&
     "$D/big_check" >>"$D/big.log" 2>&1; then
    pass
  else
    fail "the net written with --weights-bin does not build or check" "$(tail -n 8 "$D/big.log")"
  fi
fi
# The residual adds of ResNeXt's stage join their 1x1 layers (the first block's into the
# later addend, its downsampling projection); --fuse off joins none.
if expect "--summary of a ResNeXt stage" 0 "" -- $cg --summary specs/resnext50_layer2.lua; then
  grep -q "^residual adds in the 1x1 layer's epilogue (4): layer2.0.add into layer2.0.downsample.0, layer2.1.add" \
    "$T/last.out" && pass || fail "--summary does not list the 4 joined residual adds" "$(tail -n 3 "$T/last.out")"
fi
if expect "--fuse off --summary of a ResNeXt stage" 0 "" -- $cg --fuse off --summary specs/resnext50_layer2.lua; then
  grep -q "^residual adds" "$T/last.out" && fail "--fuse off still joins residual adds" || pass
fi
printf 'not an onnx model' >"$D/garbage.onnx"
expect "a .onnx file that is not ONNX" 1 "$D/garbage.onnx: not an ONNX model" -- $cg "$D/garbage.onnx"
# --bench -o writes one C file: the net and its step table, which compiles.
if expect "--bench -o" 0 "" -- $cg --bench -o "$D/benchnet" $ds; then
  if [ -f "$D/benchnet.c" ] && [ ! -e "$D/benchnet.h" ] && grep -q "convgen_bench_net" "$D/benchnet.c" &&
     cc -std=c99 -Wall -Wextra -pedantic -Werror -Iharness -c "$D/benchnet.c" -o "$D/benchnet.o" 2>"$D/benchnet.log"; then
    pass
  else
    fail "--bench -o writes a C file with the step table that compiles warning-free" "$(head -n 8 "$D/benchnet.log")"
  fi
fi
expect "a nonexistent spec file" 1 "$D/no_such_spec.lua" -- $cg "$D/no_such_spec.lua"

# Determinism: the same spec gives the same bytes, run after run (Lua's
# string hashes are seeded per process, so pairs() order would show).
for spec in $ds "$D/many.lua"; do
  n=$(basename "$spec" .lua)
  same=1
  $cg "$spec" >"$D/$n.1.c" && $cg "$spec" >"$D/$n.2.c" && $cg "$spec" >"$D/$n.3.c" || same=0
  cmp -s "$D/$n.1.c" "$D/$n.2.c" && cmp -s "$D/$n.1.c" "$D/$n.3.c" || same=0
  [ "$same" = 1 ] && pass || fail "$spec: three runs to stdout give identical C" "$(diff "$D/$n.1.c" "$D/$n.2.c" | head -n 6)"
  mkdir -p "$D/det1" "$D/det2"
  abs=$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")
  (cd "$D/det1" && "$OLDPWD/convgen" -o "$n" "$abs") && (cd "$D/det2" && "$OLDPWD/convgen" -o "$n" "$abs") &&
    cmp -s "$D/det1/$n.c" "$D/det2/$n.c" && cmp -s "$D/det1/$n.h" "$D/det2/$n.h" && pass ||
    fail "$spec: two -o runs give identical .c and .h" "$(diff "$D/det1/$n.c" "$D/det2/$n.c" | head -n 6)"
  $cg --reference "$spec" >"$D/$n.r1.c" && $cg --reference "$spec" >"$D/$n.r2.c" && cmp -s "$D/$n.r1.c" "$D/$n.r2.c" &&
    pass || fail "$spec: two --reference runs give identical output"
done
# The many-layer net is also right (two outputs, two inputs, every op kind but hardswish/sigmoid).
mkdir -p "$D/many"
cp "$D/many.lua" "$D/many/many.lua"
bash tests/run.sh --job case "$D/many/many.lua"
[ "$(cat "$D/many/many.status")" = PASS ] && pass || fail "$D/many.lua checks against the reference: $(cat "$D/many/many.status")" "$(head -n 8 "$D/many/many.log")"

# -o writes PATH.c and PATH.h; a trailing .c is not doubled.
mkdir -p "$D/o"
$cg -o "$D/o/net.c" $ds 2>/dev/null && [ -f "$D/o/net.c" ] && [ -f "$D/o/net.h" ] && [ ! -e "$D/o/net.c.c" ] &&
  grep -q '#include "net.h"' "$D/o/net.c" && pass || fail "-o net.c writes net.c and net.h (which net.c includes)" "$(ls "$D/o")"

# Atomic -o: a failed run leaves the previous outputs as they were, and no temporaries.
mkdir -p "$D/atomic"
$cg -o "$D/atomic/net" $ds && cp "$D/atomic/net.c" "$D/net.c.before" && cp "$D/atomic/net.h" "$D/net.h.before"
expect "-o with a failing spec exits 1" 1 "not divisible by groups" -- $cg -o "$D/atomic/net" "$D/bad.lua"
cmp -s "$D/atomic/net.c" "$D/net.c.before" && cmp -s "$D/atomic/net.h" "$D/net.h.before" && pass ||
  fail "-o with a failing spec leaves the existing .c and .h byte-identical"
[ "$(ls -A "$D/atomic" | tr '\n' ' ')" = "net.c net.h " ] && pass ||
  fail "-o with a failing spec leaves no temporary files" "$(ls -A "$D/atomic")"
# The same when the failure is in writing: net.h cannot be replaced (a directory).
mkdir -p "$D/atomic2"
$cg -o "$D/atomic2/net" $ds && rm "$D/atomic2/net.h" && mkdir "$D/atomic2/net.h" && cp "$D/atomic2/net.c" "$D/net2.c.before"
expect "-o that cannot replace net.h exits 1" 1 "net.h" -- $cg --name renamed -o "$D/atomic2/net" $ds
cmp -s "$D/atomic2/net.c" "$D/net2.c.before" && pass ||
  fail "-o that cannot replace net.h leaves net.c as it was (a failed run changes nothing)" \
       "net.c now declares: $(grep -o '[a-z_]*_forward(' "$D/atomic2/net.c" | head -n 1)"
[ "$(ls -A "$D/atomic2" | tr '\n' ' ')" = "net.c net.h " ] && pass ||
  fail "-o that cannot replace net.h leaves no temporary files" "$(ls -A "$D/atomic2")"
# A failed run writes nothing to a fresh path.
mkdir -p "$D/fresh"
expect "-o to a fresh path with a failing spec exits 1" 1 "" -- $cg -o "$D/fresh/net" "$D/bad.lua"
[ -z "$(ls -A "$D/fresh")" ] && pass || fail "a failed run writes nothing to a fresh path" "$(ls -A "$D/fresh")"
expect "-o into a missing directory" 1 "$D/missing/net" -- $cg -o "$D/missing/net" $ds
[ ! -e "$D/missing" ] && pass || fail "-o into a missing directory creates nothing"

# --summary: a table with the layers and a totals line about the arena.
if expect "--summary exits 0" 0 "" -- $cg --summary $ds; then
  problems=""
  for l in dw pw bn; do grep -q "^$l " "$T/last.out" || problems="$problems no row for layer '$l';"; done
  grep -qiE 'arena.*[0-9][0-9,]* bytes' "$T/last.out" || problems="$problems no totals line with the arena in bytes;"
  grep -q '2,592' "$T/last.out" || problems="$problems the parameter count 2,592 (288 + 2,048 + 4*64) is not shown;"
  [ -z "$problems" ] && pass || fail "--summary prints the table and totals" "$problems" "$(cat "$T/last.out")"
fi
# --name sets the symbol prefix.
if expect "--name exits 0" 0 "" -- $cg --name mynet $ds; then
  grep -q 'void mynet_forward(' "$T/last.out" && ! grep -q 'ds_block_forward' "$T/last.out" && pass ||
    fail "--name mynet gives mynet_forward (and no ds_block_forward)"
fi
# --templates DIR: the built-in templates read from disk give the same C.
if expect "--templates templates exits 0" 0 "" -- $cg --templates templates $ds; then
  $cg $ds | grep -v '^ \* command:' >"$D/builtin.c"
  grep -v '^ \* command:' "$T/last.out" >"$D/fromdisk.c"
  cmp -s "$D/builtin.c" "$D/fromdisk.c" && pass ||
    fail "--templates templates gives the same C as the built-in templates (is ./convgen stale?)" "$(diff "$D/builtin.c" "$D/fromdisk.c" | head -n 6)"
fi
expect "--templates naming a missing directory" "1|2" "$D/no_templates" -- $cg --templates "$D/no_templates" $ds
end_group

# ---- f. the sandbox -----------------------------------------------------------
# sandbox NAME "EXPECT" LINE BODY [OPTIONS...]: a spec whose line 2 is BODY
# must exit 1 within 10 s, its message naming the spec (and :2: if LINE=2)
# and containing EXPECT, and must create no file.
group sandbox
S=$T/sandbox
mkdir -p "$S"
PWNED=/tmp/convgen_pwned_$$
rm -f "$PWNED"
sandbox() {
  local name=$1 want=$2 line=$3 body=$4
  shift 4
  local spec=$S/$name.lua
  printf 'local unused = 1\n%s\nreturn net "s" {input "x" {C = 1, H = 2, W = 2}, relu {}}\n' "$body" >"$spec"
  local t0=$SECONDS
  timeout 10 ./convgen "$@" "$spec" >"$S/$name.out" 2>"$S/$name.err"
  local rc=$? problems=""
  [ "$rc" = 124 ] && problems="still running after 10 s (killed);"
  [ "$rc" != 124 ] && [ "$rc" != 1 ] && problems="exit status $rc, want 1;"
  grep -qF -- "$want" "$S/$name.err" || problems="$problems message lacks '$want';"
  if [ "$line" = 2 ]; then
    grep -qF -- "$spec:2:" "$S/$name.err" || problems="$problems message does not name $spec:2:;"
  else
    grep -qF -- "$spec" "$S/$name.err" || problems="$problems message does not name $spec;"
  fi
  grep -q "internal error" "$S/$name.err" && problems="$problems internal error;"
  [ -e "$PWNED" ] && { problems="$problems it created $PWNED;"; rm -f "$PWNED"; }
  [ -s "$S/$name.out" ] && problems="$problems wrote to stdout;"
  if [ -z "$problems" ]; then pass; else
    fail "sandbox: $name ($((SECONDS - t0))s)" "$problems" "spec line 2: $body" "stderr: $(head -c 300 "$S/$name.err")"
  fi
}
sandbox io_open "'io' is not available" 2 "io.open('$PWNED', 'w'):write('x')"
sandbox io_popen "'io' is not available" 2 "io.popen('touch $PWNED')"
sandbox io_via_env "'io' is not available" 2 "_ENV.io.open('$PWNED', 'w')"
sandbox os_execute "'os' is not available" 2 "os.execute('touch $PWNED')"
sandbox os_via_gsub "'os' is not available" 2 "local s = ('x'):gsub('x', os.execute)"
sandbox require "'require' is not available" 2 "local io2 = require('io'); io2.open('$PWNED', 'w')"
sandbox load "'load' is not available" 2 "load(\"io.open('$PWNED', 'w')\")()"
sandbox loadfile "'loadfile' is not available" 2 "loadfile('/etc/hostname')"
sandbox dofile "'dofile' is not available" 2 "dofile('/etc/hostname')"
sandbox debug "'debug' is not available" 2 "local info = debug.getinfo(1)"
sandbox string_dump "dump" 2 "local s = string.dump(function() end)"
sandbox string_dump_method "dump" 2 "local s = (''):dump()"
sandbox getmetatable "'getmetatable' is not available" 2 "getmetatable('').__index = {}"
sandbox setmetatable "'setmetatable' is not available" 2 "setmetatable({}, {__gc = function() end})"
sandbox rawget "'rawget' is not available" 2 "local io2 = rawget(_ENV, 'io')"
sandbox global_table "'_G'" 2 "local g = _G"
sandbox collectgarbage "'collectgarbage' is not available" 2 "collectgarbage('stop')"
sandbox package_loadlib "'package' is not available" 2 "package.loadlib('libc.so.6', 'system')"
sandbox pcall "'pcall' is not available" 2 "pcall(error, 'caught')"
sandbox coroutine "'coroutine' is not available" 2 "local co = coroutine.wrap(function() end)"
sandbox infinite_loop "budget" 0 "while true do end"
sandbox infinite_tail_calls "budget" 0 "local function f() return f() end f()"
sandbox low_budget "budget" 0 "for i = 1, 1e8 do end" --max-instructions 1
sandbox string_rep_bomb "memory" 0 "local s = string.rep('x', 1 << 30)"
sandbox table_memory_bomb "memory" 0 "local t = {} for i = 1, 1e9 do t[i] = string.rep('y', 1 << 20) .. i end" --max-memory 64
sandbox doubling_bomb "memory" 0 "local s = 'x' for i = 1, 40 do s = s .. s end"
sandbox deep_recursion "stack overflow" 2 "local function f(n) return 1 + f(n + 1) end f(1)"
sandbox million_layers "the spec makes more than 80000 layers; convgen takes at most 20000 in a net" 2 "local L = {input 'x' {C = 1, H = 1, W = 1}} for i = 1, 1000000 do L[#L + 1] = relu {} end do return net 'big' (L) end"
sandbox too_many_layers "has 20001 layers; convgen takes at most 20000" 0 "local L = {input 'x' {C = 1, H = 1, W = 1}} for i = 1, 20000 do L[#L + 1] = relu {} end do return net 'big' (L) end"
# Pattern matching runs in C, out of sight of the instruction count hook.
sandbox pattern_backtracking "ran for more than 2 s" 0 "local s = string.rep('a', 40); s:find(string.rep('a?', 40) .. string.rep('a', 40))" --max-seconds 2
# Bytecode: a precompiled chunk must be refused, not run.
printf '\033LuaT\000\031\223\r\n\032\n\004\010\010xV\000\000\000\000\000\000\000\000\000\000\000(w@' >"$S/binary.lua"
expect "sandbox: a precompiled (binary) spec" 1 "precompiled" -- ./convgen "$S/binary.lua"
# After all of that, nothing was created.
[ ! -e "$PWNED" ] && pass || fail "no spec created $PWNED"
rm -f "$PWNED"
end_group

# ---- h. benchmarks: a smoke run; the real ones are make bench / bench-peers ------
# Two small nets through out/NAME_bench: every peer checked on every op
# kind it has, a tolerance nobody can meet refused, the roofline and the
# table script run once.
group bench
B=$T/bench
mkdir -p "$B"
if ! make -s out/ops_zoo_bench out/resnext_block_bench build/roofline >"$B/make.log" 2>&1; then
  fail "the benchmark programs do not build" "$(tail -n 12 "$B/make.log")"
else
  for n in ops_zoo resnext_block; do
    if out/${n}_bench --facts="$B/$n.facts.json" --benchmark_min_time=0.001 \
         --benchmark_out="$B/$n.json" --benchmark_out_format=json >"$B/$n.log" 2>&1; then
      pass
      # Each implementation passed on every case it ran; the peers ran the convolutions.
      $PY - "$B/$n.facts.json" "$B/$n.json" >"$B/$n.verdict" 2>&1 <<'PYEOF'
import json, sys
facts, gb = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
for case in facts["cases"]:
    for impl, check in case["checks"].items():
        if check["status"] not in ("pass", "reference", "unsupported"):
            bad.append(f"{case['name']}/{impl}: {check}")
        if impl in ("generated", "xnnpack", "onednn") and case["family"].endswith("conv") and check["status"] != "pass":
            bad.append(f"{case['name']}/{impl} did not pass: {check}")
timed = {b["name"] for b in gb["benchmarks"] if b.get("FLOP/s", 0) > 0 or b.get("bytes/s", 0) > 0}
for case in facts["cases"]:
    for impl, check in case["checks"].items():
        name = f"{facts['net']}/{case['name']}/{impl}"
        if check["status"] in ("pass", "reference") and name not in timed:
            bad.append(f"{name} passed its check but was not timed with a FLOP/s or bytes/s counter")
print("\n".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
PYEOF
      [ $? -eq 0 ] && pass || fail "out/${n}_bench: facts or timings wrong" "$(cat "$B/$n.verdict")"
    else
      fail "out/${n}_bench exits non-zero" "$(grep -v '^ *L[123]\|^Run\|^CPU' "$B/$n.log" | tail -n 8)"
    fi
  done
  expect "a check that fails stops the benchmarks" 1 "differs from the reference" -- \
    out/resnext_block_bench --tol=1e-12 --benchmark_min_time=0.001
  grep -q "ms" "$T/last.out" && fail "something was timed after a failed check" "$(head -n 5 "$T/last.out")" || pass
  expect "bench_net refuses an unknown option" 2 "unknown option" -- out/ops_zoo_bench --frobnicate
  expect "bench_net refuses --paired with --rounds" 2 "give one" -- out/ops_zoo_bench --paired=3 --rounds=3
  # make bench-rounds: every checked case's implementations (not the reference) in each round,
  # each time positive, and the table a row for each case.
  if out/ops_zoo_bench --rounds=3 >"$B/rounds.json" 2>"$B/rounds.log" &&
     $PY harness/rounds_table.py "$B/rounds.json" >"$B/rounds.md" 2>>"$B/rounds.log" &&
     $PY - "$B/ops_zoo.facts.json" "$B/rounds.json" "$B/rounds.md" >>"$B/rounds.log" 2>&1 <<'PYEOF'
import json, sys
facts, rounds, table = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), open(sys.argv[3]).read()
want = {c["name"]: sorted(i for i, k in c["checks"].items() if k["status"] == "pass") for c in facts["cases"]}
got = {c["step"]: c for c in rounds["cases"]}
bad = [f"{name}: timed {sorted(got[name]['impls']) if name in got else None}, passed {impls}"
       for name, impls in want.items() if len(impls) > 1 and (name not in got or sorted(got[name]["impls"]) != impls)]
for c in rounds["cases"]:
    if len(c["ms"]) != 3 or any(len(r) != len(c["impls"]) or min(r) <= 0 for r in c["ms"]):
        bad.append(f"{c['step']}: rounds {c['ms']}")
    if f"| {c['step']} | {c['label']} |" not in table:
        bad.append(f"{c['step']}: no row in the table")
print("\n".join(bad))
sys.exit(1 if bad or not rounds["cases"] else 0)
PYEOF
  then pass; else fail "bench_net --rounds and rounds_table.py" "$(tail -n 6 "$B/rounds.log")"; fi
  # Under drift that each round shares (up to 30% here), a steady 5% shows as 5%, and the
  # family line counts a case 1% ahead as within 3% and one 5% behind as not.
  if $PY - >"$B/rounds_unit.log" 2>&1 <<'PYEOF'
import random, sys
sys.path.insert(0, "harness")
import rounds_table as t
rng = random.Random(1)
def case(step, gen):
    rows = []
    for _ in range(101):
        drift = 1 + 0.3 * rng.random()
        rows.append([gen * drift * rng.gauss(1, 0.005), 1.3 * drift * rng.gauss(1, 0.005), drift * rng.gauss(1, 0.005)])
    return {"step": step, "family": "pwconv", "label": step, "calls": 1, "impls": ["generated", "xnnpack", "onednn"], "ms": rows}
data = {"net": "n", "rounds": 101, "cases": [case("slow", 1.05), case("fast", 0.99)]}
ratios, _ = t.case_ratios(data["cases"][0])
assert abs(ratios["faster peer"][0] - 1.05) < 0.005 and ratios["faster peer"][1] > 1.03, ratios
assert abs(ratios["xnnpack"][0] - 1.05 / 1.3) < 0.005, ratios
lines = t.net_table(data, 0.03)
assert "| pwconv | 2 |" in "\n".join(lines) and any(l.endswith("| 1 of 2 |") for l in lines), lines
PYEOF
  then pass; else fail "rounds_table.py's ratios under shared drift" "$(tail -n 4 "$B/rounds_unit.log")"; fi
  # --in-pass: a row for each call of NAME_forward_with, in its order, with both times positive,
  # the ratio their quotient, and the sum row the sum of the rows.
  if out/resnext_block_bench --no-steps --in-pass=5 >"$B/in_pass.txt" 2>"$B/in_pass.log" &&
     $PY - out/resnext_block_bench.c "$B/in_pass.txt" >>"$B/in_pass.log" 2>&1 <<'PYEOF'
import re, sys
c, table = open(sys.argv[1]).read(), open(sys.argv[2]).read().splitlines()
body = c[c.index("void resnext_block_forward_with(float *restrict"):]
calls = re.findall(r"^  (\w+)\(", body[:body.index("\n}\n")], re.M)
rows = [line.split() for line in table[2:2 + len(calls)]]
bad = [] if [r[0] for r in rows] == calls else [f"rows {[r[0] for r in rows]}, calls {calls}"]
for r in rows:
    p, a, q = float(r[1]), float(r[2]), float(r[3])
    if not (p > 0 and a > 0 and abs(p / a - q) < 0.01):
        bad.append(f"row {r}")
total = table[2 + len(calls)]
if not total.startswith("sum of the medians") or abs(float(total.split()[-3]) - sum(float(r[1]) for r in rows)) > 0.5:
    bad.append(f"sum row {total!r}")
print("\n".join(bad))
sys.exit(1 if bad or not calls else 0)
PYEOF
  then pass; else fail "bench_net --in-pass's table" "$(tail -n 6 "$B/in_pass.log")"; fi
  expect "bench_net --in-pass refuses a net of batch 2" 2 "batch 1 on one thread" -- \
    out/ops_zoo_bench --no-steps --in-pass=3
  expect "bench_net --in-pass refuses --no-net" 2 "leave out --no-net" -- out/resnext_block_bench --no-net --in-pass=3
  expect "bench_net refuses --in-pass with --rounds" 2 "give one" -- out/resnext_block_bench --in-pass=3 --rounds=3
  # With fused blocks: the peers and the per-layer rows run the blocks' layers one by one, the
  # whole forward pass runs the blocks; every one is checked against the reference.
  # bench_bundle NAME SPEC OPTIONS...: $B/NAME_bench from SPEC's net and reference bundle, both
  # generated with OPTIONS (the reference carries the net's arena size); its log in $B/NAME.log
  bench_bundle() {
    local name=$1 spec=$2
    shift 2
    { ./convgen --bench "$@" -o "$B/${name}_bench" "$spec" && ./convgen --reference "$@" -o "$B/${name}_ref" "$spec" &&
      cc -O2 -march=native -std=c99 -Iharness -c "$B/${name}_bench.c" -o "$B/${name}_bench.o" &&
      cc -O0 -std=c99 -Iharness -c "$B/${name}_ref.c" -o "$B/${name}_ref.o" &&
      c++ -o "$B/${name}_bench" "$B/${name}_bench.o" "$B/${name}_ref.o" build/bench/bench_net.o \
        build/bench/reference.o build/bench/peer_xnnpack.o build/bench/peer_onednn.o build/bench/bench_shim.o \
        -lbenchmark -lXNNPACK -lpthreadpool -ldnnl -lpthread -lm; } >"$B/$name.log" 2>&1
  }
  sb=specs/shufflenet_v2_block.lua
  if bench_bundle fused $sb --fuse all; then
    expect "bench_net on a net with fused blocks" 0 "every implementation of" -- \
      "$B/fused_bench" --benchmark_min_time=0.001
    grep -q "shufflenet_v2_block/forward/generated" "$T/last.out" && pass ||
      fail "the fused net's whole forward pass was timed" "$(tail -n 5 "$T/last.out")"
    # --in-pass checks the pass it times: with its second call left out, it is refused.
    sed 's/^  case 1: .*/  case 1: break;/' "$B/fused_bench.c" >"$B/skip_bench.c"
    if ! cmp -s "$B/fused_bench.c" "$B/skip_bench.c" &&
       cc -O2 -march=native -std=c99 -Iharness -c "$B/skip_bench.c" -o "$B/skip_bench.o" >>"$B/fused.log" 2>&1 &&
       c++ -o "$B/skip_bench" "$B/skip_bench.o" "$B/fused_ref.o" build/bench/bench_net.o build/bench/reference.o \
         build/bench/peer_xnnpack.o build/bench/peer_onednn.o build/bench/bench_shim.o \
         -lbenchmark -lXNNPACK -lpthreadpool -ldnnl -lpthread -lm >>"$B/fused.log" 2>&1; then
      expect "bench_net --in-pass: a pass missing a call is refused" 1 "made call by call differs" -- \
        "$B/skip_bench" --no-steps --in-pass=3
    else
      fail "the bundle with a call left out does not build" "$(tail -n 8 "$B/fused.log")"
    fi
  else
    fail "the benchmark bundle of a net with fused blocks does not build" "$(tail -n 8 "$B/fused.log")"
  fi
  # The three-thread spec (tests/specs/threads.lua, its options): the generated net and the peers'
  # whole nets (their own pools) checked against the reference, and each step alone (the whole
  # layers, packed for their own knobs beside the slices the net runs); the facts say how many
  # threads each whole net ran on.
  spec_options tests/specs/threads.lua
  if bench_bundle t3 tests/specs/threads.lua "${SPEC_OPTIONS[@]}"; then
    expect "bench_net: a net and the peers on three threads" 0 "every implementation of" -- \
      "$B/t3_bench" --facts="$B/t3.facts.json" --benchmark_min_time=0.001
    $PY -c 'import json, sys; f = json.load(open(sys.argv[1])); cs = f["cases"]
ok = (f["threads"], f["peer_threads"]) == (3, 3) and len(cs) > 20
for c in cs:
    ok = ok and c["checks"]["generated"]["status"] == "pass"
    ok = ok and all(v["status"] in ("pass", "reference", "unsupported") for v in c["checks"].values())
    ok = ok and (c["family"] != "net" or c["checks"]["onednn"]["status"] == "pass")
sys.exit(0 if ok else 1)' "$B/t3.facts.json" && pass || fail "the three-thread run's facts" "$(head -c 600 "$B/t3.facts.json")"
    expect "bench_net --threads=0 is refused" 2 "takes a number from 1" -- "$B/t3_bench" --threads=0
    expect "bench_net --in-pass refuses a net on threads" 2 "batch 1 on one thread" -- \
      "$B/t3_bench" --no-steps --in-pass=3
  else
    fail "the benchmark bundle of a net on three threads does not build" "$(tail -n 8 "$B/t3.log")"
  fi
  if build/roofline --benchmark_min_time=0.01 --benchmark_out="$B/roofline.json" \
       --benchmark_out_format=json >"$B/roofline.log" 2>&1 &&
     $PY harness/bench_table.py "$B" ops_zoo resnext_block >"$B/table.md" 2>&1 &&
     grep -q "^| resnext_block_conv2\|^| .*gconv" "$B/table.md" && grep -q "Peak FMA" "$B/table.md"; then
    pass
  else
    fail "roofline or bench_table.py" "$(tail -n 8 "$B/roofline.log" "$B/table.md")"
  fi
fi
end_group

# ---- the autotuner: a real tune of one layer, a planted wrong candidate ------
group tune
U=$T/tune
mkdir -p "$U/templates"
cp templates/*.tpl "$U/templates/"
# make bench's verdict on a tune: a steady 3% gain under noise is measured,
# half a percent (within what the slot a net is linked into moves it by) is not.
if $PY - <<'EOF' >"$U/interval.log" 2>&1
import sys
sys.path.insert(0, "harness")
import random
import bench_table as b
def pairs(gain):
    rng = random.Random(1)   # drift shared by a pair, then each side's own noise
    drift = [1 + 0.1 * rng.random() for _ in range(101)]
    return {"calls_per_side": 3, "pairs": [{"generated_ms": 3.5 * x * rng.gauss(1, 0.01),
                                            "tuned_ms": 3.5 * gain * x * rng.gauss(1, 0.01)} for x in drift]}
median, text = b.paired_ratio(pairs(0.97))
assert abs(median - 0.97) < 0.005 and text.endswith("tuned faster."), text
median, text = b.paired_ratio(pairs(0.995))
assert "no difference beyond" in text, text
assert b.median_interval(list(range(1, 202)))[1:] == (87, 115)   # the binomial ranks for n = 201
EOF
then pass; else fail "bench_table.py's interval of the tuned/default ratio" "$(tail -n 4 "$U/interval.log")"; fi
# A kernel that is wrong for one knob value only: the tuner must find it
# wrong against the reference, never time it, and pick another.
printf '%s\n' '$if knobs.mr == 2 then' '  y[0] += 1.0f;   /* planted by tests/run.sh */' '$end' \
  >>"$U/templates/pwconv_x86.c.tpl"
if ! make -s $(grep -o 'build/bench/[a-z_]*\.o' GNUmakefile | sort -u) >"$U/make.log" 2>&1; then
  fail "the benchmark harness does not build" "$(tail -n 12 "$U/make.log")"
else
  # the planted wrong candidate: AVX2's pointwise kernel, every schedule measured
  if grep -q ' avx2 .* fma \| fma .* avx2 ' /proc/cpuinfo; then
    if expect "convgen --tune with a wrong candidate planted" 0 "candidates tried" -- \
         ./convgen --tune --tune-dir "$U/work_planted" --tuning "$U/planted.tuning.lua" --target avx2 \
         --tune-search exhaustive --templates "$U/templates" specs/pointwise_32_64.lua; then
      cp "$T/last.err" "$U/planted.log"
      grep -q "wrong = [1-9]" "$U/planted.tuning.lua" && ! grep -q "knobs = {mr = 2," "$U/planted.tuning.lua" &&
        grep -q "wrong: differs from the reference" "$U/work_planted/scores.tsv" && pass ||
        fail "the planted wrong candidate (mr = 2) was not discarded" "$(cat "$U/planted.tuning.lua")" \
          "$(tail -n 5 "$U/planted.log")"
    fi
  else
    skip "no AVX2 here to plant a wrong candidate in"
  fi
  # harness objects older than their sources (a pull without make): every
  # candidate segfaulted in them, reported only as "its benchmark failed"
  mkdir -p "$U/stale/build/bench" "$U/stale/harness"
  cp build/bench/*.o "$U/stale/build/bench/" && touch -d 2001-01-01 "$U"/stale/build/bench/*.o
  cp harness/*.c harness/*.cc harness/*.h "$U/stale/harness/"
  expect "--tune with harness objects older than their sources" 2 "bench_net.o is older than $U/stale/harness/" -- \
    ./convgen --tune --tune-harness "$U/stale" --tune-dir "$U/work_stale" --tuning "$U/stale.tuning.lua" \
    specs/pointwise_32_64.lua
  TF=$U/pw.tuning.lua
  TUNE="./convgen --tune --tune-dir $U/work --tuning $TF --tune-time 120"
  if expect "convgen --tune on a one-layer spec" 0 "candidates tried" -- $TUNE specs/pointwise_32_64.lua; then
    grep -q "complete = true" "$TF" && grep -q 'default_ns = [0-9]' "$TF" && pass ||
      fail "the tuning file lacks a complete entry with the default's time" "$(cat "$TF")"
    # the second run measures nothing: the shape is in the file
    S0=$SECONDS
    expect "a second tune of the same spec is cached" 0 "nothing to measure" -- $TUNE specs/pointwise_32_64.lua
    [ $((SECONDS - S0)) -le 5 ] && pass || fail "the cached tune took $((SECONDS - S0)) s"
    # an entry names its winner's template by a hash of the text; once the
    # template changes, --tuning leaves the entry out and says why
    grep -q 'template = "[a-z0-9_]*\.c\.tpl@[0-9a-f]\{8\}"' "$TF" && pass ||
      fail "the tuning file's entry does not name its template version" "$(cat "$TF")"
    mkdir -p "$U/edited"
    for t in templates/*.tpl; do { cat "$t"; echo '$-- edited by tests/run.sh'; } >"$U/edited/$(basename "$t")"; done
    expect "--tuning after the kernel's template changed" 0 "tuned on an older version of their kernel" -- \
      ./convgen --templates "$U/edited" --tuning "$TF" -o "$U/stale" specs/pointwise_32_64.lua
    # a record whose knobs the kernel's check now refuses (a file from before
    # a check changed): --tuning says so, and a tune measures the layer again
    sed 's/knobs = {mr = [0-9]*, nv = [0-9]*/knobs = {mr = 24, nv = 4/' "$TF" >"$U/refused.tuning.lua"
    expect "--tuning with a record its kernel refuses" 0 "schedule in the file that this convgen's kernels refuse" -- \
      ./convgen --tuning "$U/refused.tuning.lua" -o "$U/refused" specs/pointwise_32_64.lua
    if expect "convgen --tune over a refused record" 0 "" -- \
         ./convgen --tune --tune-dir "$U/work_refused" --tuning "$U/refused.tuning.lua" --tune-time 1 specs/pointwise_32_64.lua; then
      ! grep -q "nothing to measure" "$T/last.err" && pass ||
        fail "a tune took the refused record as measured" "$(tail -n 3 "$T/last.err")"
    fi
    # generating with the file uses its knobs, says so in the code, and checks out
    if expect "convgen --tuning generates" 0 "" -- ./convgen --tuning "$TF" -o "$U/pw" specs/pointwise_32_64.lua &&
       ./convgen --reference -o "$U/pw_ref" specs/pointwise_32_64.lua &&
       cc -O1 -march=native $NET_WARN -c "$U/pw.c" -o "$U/pw.o" 2>"$U/pw.log" &&
       cc -O0 -std=c99 -Iharness -c "$U/pw_ref.c" -o "$U/pw_ref.o" &&
       cc -o "$U/pw_check" "$U/pw.o" "$U/pw_ref.o" "$T/check.o" "$T/reference.o" -lm &&
       "$U/pw_check" >"$U/check.log" 2>&1; then
      grep -q "tuned" "$U/pw.c" && pass || fail "the generated file does not say its knobs were tuned"
    else
      fail "the net generated with --tuning does not build or check" "$(cat "$U/pw.log" "$U/check.log" 2>/dev/null | tail -n 8)"
    fi
    # tuned and default side by side in one benchmark binary
    if make -s out/pointwise_32_64_bench_tuned TUNING="$TF" >"$U/bench.log" 2>&1 &&
       out/pointwise_32_64_bench_tuned --benchmark_min_time=0.001 --facts="$U/facts.json" >>"$U/bench.log" 2>&1 &&
       grep -q '"tuned": {"status": "pass"' "$U/facts.json"; then
      pass
    else
      fail "make bench's tuned binary does not build, check or time" "$(tail -n 8 "$U/bench.log")"
    fi
    # and in back-to-back pairs, for bench_table.py's verdict
    if out/pointwise_32_64_bench_tuned --no-steps --impls=generated,tuned --paired=5 >"$U/paired.json" 2>>"$U/bench.log" &&
       $PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if len(d["pairs"]) == 5 and all(p["generated_ms"] > 0 and p["tuned_ms"] > 0 for p in d["pairs"]) else 1)' \
         "$U/paired.json"; then
      pass
    else
      fail "bench_net --paired" "$(tail -n 4 "$U/bench.log" "$U/paired.json")"
    fi
  fi
  # A chain that may run fused (its wide tensor is 1 MiB, so by default
  # it does): the tuner times it fused in bands of each height and layer
  # by layer, as whole nets; the file's entry then decides how --tuning
  # generates it.  The short budget measures two or so candidates of each
  # layer and of the chain, the chain layer by layer first.  That one is
  # planted wrong: the 1x1 kernel (an x86 one, which the chain's 1x1 layers
  # run with AVX2) adds the residual both ways, but only the whole layer's
  # channels are its planes apart (YS); a band's are the whole output's.
  if grep -q ' avx2 .* fma \| fma .* avx2 ' /proc/cpuinfo; then
    mkdir -p "$U/templates_chain"
    cp templates/*.tpl "$U/templates_chain/"
    printf '%s\n' '$if R and YS == y.H * y.W then' '  y[0] += 1.0f;   /* planted by tests/run.sh */' '$end' \
      >>"$U/templates_chain/pwconv_x86.c.tpl"
    cat >"$U/chain.lua" <<'SPEC'
return net "chain" {
  input "x" {C = 8, H = 64, W = 64},
  pwconv "expand" {out = 64}, relu6 "expand_act" {},
  conv "filter" {out = 64, k = 3, pad = 1, groups = 64}, relu6 "filter_act" {},
  pwconv "project" {out = 8},
  add "sum" {from = {"project", "x"}},
}
SPEC
    CF=$U/chain.tuning.lua
    if expect "convgen --tune on a chain that may run fused" 0 "chains that may run fused" -- \
         ./convgen --tune --tune-dir "$U/work_chain" --tuning "$CF" --tune-time 20 \
           --templates "$U/templates_chain" "$U/chain.lua"; then
      grep -q 'layer = "block .* | residual"' "$CF" && grep -A 12 'kernel = "block"' "$CF" | grep -q "wrong = 1," &&
        grep -q "block: band_rows=0.*wrong: differs from the reference" "$U/work_chain/scores.tsv" && pass ||
        fail "the tuning file has no entry for the chain, or the chain layer by layer was not found wrong" "$(cat "$CF")"
      # band_rows = 0: layer by layer, the add in the project layer's epilogue
      # (the reference bundle gets the file too: it carries the arena's size)
      for rows in 0 4; do
        sed "s/knobs = {band_rows = [0-9]*}/knobs = {band_rows = $rows}/" "$CF" >"$U/chain$rows.tuning.lua"
        if ./convgen --tuning "$U/chain$rows.tuning.lua" -o "$U/chain$rows" "$U/chain.lua" 2>"$U/chain$rows.log" &&
           ./convgen --tuning "$U/chain$rows.tuning.lua" --reference -o "$U/chain${rows}_ref" "$U/chain.lua" \
             2>>"$U/chain$rows.log" &&
           cc -O1 -march=native $NET_WARN -c "$U/chain$rows.c" -o "$U/chain$rows.o" 2>>"$U/chain$rows.log" &&
           cc -O0 -std=c99 -Iharness -c "$U/chain${rows}_ref.c" -o "$U/chain${rows}_ref.o" &&
           cc -o "$U/chain${rows}_check" "$U/chain$rows.o" "$U/chain${rows}_ref.o" "$T/check.o" "$T/reference.o" -lm &&
           "$U/chain${rows}_check" >>"$U/chain$rows.log" 2>&1; then
          if [ $rows = 0 ]; then
            ! grep -q "fused block" "$U/chain0.c" && grep -q "project_residual" "$U/chain0.c" && pass ||
              fail "band_rows = 0 in the tuning file did not run the chain layer by layer"
          else
            grep -q "in bands of 4 output rows" "$U/chain4.c" && pass ||
              fail "band_rows = 4 in the tuning file did not run the chain in bands of 4 rows"
          fi
        else
          fail "the chain generated with band_rows = $rows does not build or check" "$(tail -n 8 "$U/chain$rows.log")"
        fi
      done
    fi
  else
    skip "no AVX2 here for the chain tune's planted 1x1 kernel"
  fi
  # a layer the file lacks keeps its default, and convgen says so
  expect "--tuning with a shape it lacks" 0 "has no tuned schedule for 1" -- \
    ./convgen --tuning "$TF" -o "$U/other" specs/pointwise_32_64_nobias.lua
  printf 'return {\n  {layer = "x", target = "avx512",\n' >"$U/broken.lua"
  expect "a tuning file with a syntax error" 1 "broken.lua:3:" -- ./convgen --tuning "$U/broken.lua" specs/pointwise_32_64.lua
  printf 'return {{layer = "x", target = "avx512", cpu = "c", compiler = "g", knobs = {mr = "8"}}}\n' >"$U/badknob.lua"
  expect "a tuning file with a bad knob" 1 "entry 1 (x): 'knobs' must map knob names to non-negative integers" -- \
    ./convgen --tuning "$U/badknob.lua" specs/pointwise_32_64.lua
  expect "--tuning names a missing file" 1 "cannot open $U/none.lua" -- ./convgen --tuning "$U/none.lua" specs/pointwise_32_64.lua
  expect "--tune without the harness built" 2 "needs the benchmark harness built" -- \
    ./convgen --tune --tune-harness "$U/nowhere" --tuning "$U/x.lua" --tune-dir "$U/w2" specs/pointwise_32_64.lua
  expect "--tune takes no --knob" 2 "takes no -o or --knob" -- ./convgen --tune --knob pw:mr=4 specs/pointwise_32_64.lua
fi
end_group

# ---- g. safetensors -------------------------------------------------------------
group safetensors
python_tests safetensors tests/safetensors_test.py
end_group

# ---- i. ONNX: PyTorch models exported, generated, compared with PyTorch ----------
# (started before the fuzz group; this waits for them)
group onnx
if [ -x "$PY" ]; then
  wait "$onnx_pid" "$onnx_ops_pid"
  python_count onnx tests/onnx_test.py
  python_count onnx_ops tests/onnx_ops_test.py
else
  skip "$PY is missing"
fi
end_group

echo "total time $((SECONDS - START))s"
echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ]
