#!/usr/bin/env bash
# tests/check_arm.sh: `make check-arm`, convgen's output on ARM.
#
# Every spec in specs/ and the neon rows of tests/kernel_cases.py are
# generated with --target neon and with --target generic, cross-compiled
# for AArch64 (aarch64-linux-gnu-gcc -O2, warnings as errors, linked
# statically with the checker and the naive reference) and run under
# qemu-aarch64: correct, not timed.  A kernel row's knobs are the NEON
# kernel's own, so its generic run is made only for rows without knobs.
# Then one generated file is compiled (not linked) for a Cortex-M4 with
# arm-none-eabi-gcc, to show the portable C drops into a bare-metal build.
#
# Left out unless ARM_ALL=1: mobilenet_v1, mobilenet_v2, resnext50_grouped and
# resnext50_layer2, the four biggest (18 to 66 MB of generated C).  The
# smallest of them, resnext50_layer2, took a minute to cross-compile and
# had not finished after five minutes under qemu-aarch64 (the naive
# reference and two forward passes, emulated); the three would add more
# than half an hour, and every kernel they use is in the smaller specs.
#
# The last line is "N passed, N failed"; the exit status is 1 if any failed.
# Environment: JOBS (default 2) parallel jobs; ARM_ALL=1 for every spec.
# Everything is written under build/arm/.

T=build/arm
XCC=${XCC:-aarch64-linux-gnu-gcc}
NET_WARN="-std=c99 -Wall -Wextra -pedantic -Werror"

# ---- one job: tests/check_arm.sh --job TARGET SPEC ---------------------------
if [ "${1:-}" = "--job" ]; then
  target=$2 spec=$3 name=$(basename "$3" .lua)
  base=$T/$target/$name
  args=(--target "$target")
  if [ "$target" = neon ]; then
    for k in $(sed -n 's/^-- knobs: *//p' "$spec"); do args+=(--knob "$k"); done
  fi
  for f in $(sed -n 's/^-- fuse: *//p' "$spec"); do args+=(--fuse "$f"); done
  for n in $(sed -n 's/^-- threads: *//p' "$spec"); do args+=(--threads "$n"); done
  problem=""
  {
    if ! ./convgen "${args[@]}" -o "$base" "$spec"; then
      problem="convgen failed"
    # the same options: the workspace the reference bundle allocates is the
    # net's, and the target decides what is fused (NEON adds no residual)
    elif ! ./convgen "${args[@]}" --reference -o "${base}_ref" "$spec"; then
      problem="convgen --reference failed"
    elif ! $XCC -O2 $NET_WARN -c "$base.c" -o "$base.o"; then
      problem="the generated C does not compile warning-free ($XCC -O2 $NET_WARN)"
    elif ! { $XCC -O0 -std=c99 -Iharness -c "${base}_ref.c" -o "${base}_ref.o" &&
             $XCC -static -pthread -o "${base}_check" "$base.o" "${base}_ref.o" $T/check.o $T/reference.o -lm; }; then
      problem="the check program does not build"
    elif ! timeout 600 qemu-aarch64 "${base}_check" --quiet; then
      problem="check FAIL under qemu-aarch64 (generated vs reference)"
    fi
  } >"$base.log" 2>&1
  echo "${problem:-PASS}" >"$base.status"
  exit 0
fi

set -u
cd "$(dirname "$0")/.." || exit 2
unset MAKEFLAGS MFLAGS MAKELEVEL
export LC_ALL=C
JOBS=${JOBS:-2}
START=$SECONDS
rm -rf "$T" && mkdir -p "$T/neon" "$T/generic" "$T/kernels" || exit 2

for tool in "$XCC" qemu-aarch64; do
  command -v "$tool" >/dev/null 2>&1 || { echo "check-arm: $tool not found" >&2; exit 2; }
done
# The checker and the reference, once for all the networks.
for f in check reference; do
  $XCC -O2 -std=c99 -Wall -Wextra -pedantic -Werror -Iharness -c "harness/$f.c" -o "$T/$f.o" ||
    { echo "check-arm: harness/$f.c does not cross-compile" >&2; exit 1; }
done

skipped=()
specs=()
for s in specs/*.lua; do
  case $(basename "$s" .lua) in
    resnext50) skipped+=("$s"); continue ;;   # 25 M weights: the GNUmakefile's BIG_SPECS
    mobilenet_v1 | mobilenet_v2 | resnext50_layer2 | resnext50_grouped)
      if [ "${ARM_ALL:-0}" != 1 ]; then skipped+=("$s"); continue; fi ;;
  esac
  specs+=("$s")
done
/usr/bin/python3 -B tests/kernel_cases.py --out "$T/kernels" >"$T/kernels/list" || exit 1

jobs=()
# and the net on three threads, cut every way (on NEON its block runs as
# its layers, cut as any layer is: NEON's 1x1 kernel adds no residual)
specs+=(tests/specs/threads.lua)
# NEON's 1x1 kernel takes channel strides: the 1x1 layers that write their
# planes of a channel shuffle, and blocks in bands (ShuffleNet's units and
# a stride-2 pair, fused whatever their size)
specs+=(tests/specs/shuffle_written_in_place.lua tests/specs/shuffle_written_in_place_threads.lua)
for s in specs/shufflenet_v2_block.lua specs/dsconv_s2.lua; do
  f=$T/$(basename "$s" .lua)_fuse_all.lua
  { echo "-- fuse: all"; cat "$s"; } >"$f"
  specs+=("$f")
done
for s in "${specs[@]}"; do jobs+=("neon $s" "generic $s"); done
while read -r s rest; do
  case $rest in *"target neon"*) ;; *) continue ;; esac
  jobs+=("neon $s")
  grep -q '^-- knobs:' "$s" || jobs+=("generic $s")
done <"$T/kernels/list"

printf '%s\n' "${jobs[@]}" | xargs -P "$JOBS" -L1 bash tests/check_arm.sh --job

pass=0 fail=0
declare -A passed=([neon]=0 [generic]=0) ran=([neon]=0 [generic]=0)
for j in "${jobs[@]}"; do
  target=${j%% *} spec=${j#* }
  base=$T/$target/$(basename "$spec" .lua)
  st=$(cat "$base.status" 2>/dev/null || echo "no result")
  ran[$target]=$((ran[$target] + 1))
  if [ "$st" = PASS ]; then
    pass=$((pass + 1)) passed[$target]=$((passed[$target] + 1))
  else
    fail=$((fail + 1))
    echo "  FAIL $target $spec: $st"
    grep -v '^ *$' "$base.log" | head -n 8 | sed 's/^/       /'
  fi
done
echo "aarch64 (qemu): neon ${passed[neon]}/${ran[neon]} passed, generic ${passed[generic]}/${ran[generic]} passed" \
  "($((SECONDS - START))s; skipped: ${skipped[*]:-none})"

# ---- the portable C in a Cortex-M4 build (compiled only) -----------------------
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
  m=$T/cortex_m4
  mkdir -p "$m"
  if ./convgen --target generic -o "$m/ops_zoo" specs/ops_zoo.lua &&
     ./convgen --target neon -o "$m/pointwise_32_64" specs/pointwise_32_64.lua &&
     arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 $NET_WARN \
       -c "$m/ops_zoo.c" -o "$m/ops_zoo.o" &&
     arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 $NET_WARN \
       -c "$m/pointwise_32_64.c" -o "$m/pointwise_32_64.o"; then
    pass=$((pass + 1))
    echo "cortex-m4: ops_zoo (generic) and pointwise_32_64 (neon, its plain-C path) compile with arm-none-eabi-gcc"
  else
    fail=$((fail + 1))
    echo "  FAIL cortex-m4: the generated C does not compile with arm-none-eabi-gcc"
  fi
else
  echo "cortex-m4: skipped (arm-none-eabi-gcc not installed)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
