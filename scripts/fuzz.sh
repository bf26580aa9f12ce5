#!/usr/bin/env bash
# Fuzzes every omega-core parser for SECONDS each, on stable Rust (cargo-fuzz with `-s none`:
# no sanitizer, so no nightly needed). Installs nothing: `make fuzz` / `make fuzz-ci` run
# `OMEGA_SETUP_FUZZ=1 scripts/setup.sh` first, which installs cargo-fuzz.
#
# Each target starts from a fresh temporary corpus seeded from core/fuzz/seeds/<target>/
# (the corpus is thrown away afterwards); crash inputs stay in core/fuzz/artifacts/<target>/.
# Exits non-zero when any target crashes (panic, failed assertion, timeout, out of memory).
#
# Usage: scripts/fuzz.sh SECONDS [TARGET...]     (default: every target)
set -euo pipefail

usage() { echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
seconds=$1; shift
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir="$root/core/fuzz"
all_targets=(public_key signature manifest json lock revocation tree_paths secret_key tarball signify bundle tile statement entry note checkpoint policy index_note)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
for t in "${targets[@]}"; do
  [ -f "$fuzz_dir/fuzz_targets/$t.rs" ] || { echo "fuzz: no target $t (have: ${all_targets[*]})" >&2; exit 2; }
  [ -d "$fuzz_dir/seeds/$t" ] || { echo "fuzz: no seeds in core/fuzz/seeds/$t" >&2; exit 2; }
done

if ! version=$(cargo fuzz --version 2>&1); then
  echo "fuzz: ERROR: \`cargo fuzz\` does not work:" >&2
  echo "$version" | sed 's/^/fuzz:   /' >&2
  echo "fuzz: install it with \`OMEGA_SETUP_FUZZ=1 scripts/setup.sh\` (cargo install cargo-fuzz --version 0.13.2 --locked)" >&2
  exit 1
fi
echo "fuzz: $(head -n1 <<<"$version"), $(rustc --version)"

# Largest input per target, bytes: manifests and lock files are big documents.
max_len() {
  case $1 in
    manifest | lock | json) echo 1048576 ;;
    *) echo 65536 ;;
  esac
}

cd "$fuzz_dir"
# One build of every target (release, debug assertions and overflow checks on, no sanitizer);
# `cargo fuzz run` below then finds them up to date.
build_start=$SECONDS
cargo fuzz build -s none
echo "fuzz: built ${#all_targets[@]} targets in $((SECONDS - build_start)) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/omega-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

crashes=0
summary=()
for t in "${targets[@]}"; do
  corpus="$work/corpus-$t"
  mkdir -p "$corpus" "$fuzz_dir/artifacts/$t"
  cp "$fuzz_dir/seeds/$t/"* "$corpus/"
  log="$work/$t.log"
  echo "fuzz: $t for $seconds s (max_len $(max_len "$t"), seeds $(ls "$corpus" | wc -l))"
  status=0
  # OMEGA_FUZZ_SEEDS: the target first checks that every seed is accepted (stale seeds fail).
  OMEGA_FUZZ_SEEDS="$fuzz_dir/seeds/$t" cargo fuzz run -s none "$t" "$corpus" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=30 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  execs=$(grep -o 'exec/s: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
  corpus_size=$(ls "$corpus" | wc -l)
  line=$(printf '%-11s %9s runs %7s exec/s  cov %5s  corpus %5s' "$t" "${runs:-?}" "${execs:-?}" "${cov:-?}" "$corpus_size")
  if [ "$status" -ne 0 ]; then
    crashes=$((crashes + 1))
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
    cp "$log" "$fuzz_dir/artifacts/$t/fuzz.log"
    echo "fuzz: CRASH in $t (exit $status); full log: core/fuzz/artifacts/$t/fuzz.log" >&2
    # The panic message and libFuzzer's report, without the backtrace and status lines.
    { awk '/panicked at/ {p = 1} /^stack backtrace:|^ *[0-9]+: / {p = 0} p' "$log"
      grep -E '^==[0-9]+==|SUMMARY|deadly signal|Test unit written|^Base64:|out-of-memory|timeout after|Fuzz target exited' "$log" || true
    } | sed "s/^/fuzz: $t | /" >&2
    if [ -n "$artifact" ]; then
      case $artifact in /*) ;; *) artifact="$fuzz_dir/$artifact" ;; esac
      echo "fuzz: crash input: $artifact ($(wc -c <"$artifact") bytes)" >&2
      echo "fuzz: crash input hex: $(head -c 1024 "$artifact" | od -An -tx1 -v | tr -d ' \n')" >&2
      echo "fuzz: reproduce: (cd core/fuzz && cargo fuzz run -s none $t $artifact)" >&2
    fi
    line="$line  CRASH ${artifact:-(no artifact, exit $status)}"
  fi
  echo "fuzz: $line"
  summary+=("$line")
done

echo "fuzz: summary ($seconds s per target)"
printf 'fuzz:   %s\n' "${summary[@]}"
if [ "$crashes" -eq 1 ]; then noun=crash; else noun=crashes; fi
echo "fuzz: ${#targets[@]} targets, $crashes $noun"
[ "$crashes" -eq 0 ]
