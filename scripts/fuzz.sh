#!/usr/bin/env bash
# Builds the libFuzzer targets under Fuzz/ (AddressSanitizer + libFuzzer, release) and runs each one for N seconds,
# then prints executions, coverage and findings per target. The targets exist only with OODBENCH_FUZZ=1, in their
# own scratch folder (.build-fuzz/), so the normal `swift build` / `swift test` never see them.
#
#   scripts/fuzz.sh                          # every target, 60 s each, one at a time
#   scripts/fuzz.sh --seconds 600 --jobs 3   # ten minutes each, three at a time (niced)
#   scripts/fuzz.sh --only FuzzTar,FuzzPNG --seconds 30
#
# A hang is an input that needs more than 1 s of CPU: libFuzzer saves every input slower than 1 s of wall time
# (-report_slow_units=1) and kills one after 10 s (-timeout=10, since on a loaded machine wall time says little);
# each saved input is then run again alone and counts as a hang only if its own CPU time is 1 s or more. Memory:
# 2 GiB (-rss_limit_mb; one malloc above it is a finding too). Leaks are findings (LeakSanitizer), less the
# third-party ones listed in Fuzz/lsan.supp. Seeds come from the shared fixtures by path ($OODBENCH_MIRROR, else ../shared/reference-data),
# from Tests/Fixtures and datasets-manifest/, and from the few small files in Fuzz/seeds/ (make_seeds.py).
# The growing corpus lives in .build-fuzz/corpus/<target>/, findings in .build-fuzz/findings/<target>/, the libFuzzer
# log in .build-fuzz/logs/; every run appends its figures to .build-fuzz/fuzz-history.tsv (totals: --totals).
# To fuzz on a bigger machine without Swift: copy the binaries of .build-fuzz/release (with the Swift runtime
# libraries on LD_LIBRARY_PATH), this repository's scripts/, Fuzz/, Tests/Fixtures/ and datasets-manifest/, and run
# with --no-build, OODBENCH_FUZZ_BIN=<binaries>, OODBENCH_FUZZ_SCRATCH=<corpus and logs>, OODBENCH_MIRROR=<seeds>.
# Exit status: 0 when no target found anything, 1 when one did, 2 when the build failed.
set -u -o pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH=60
JOBS=1
ONLY=""
BUILD=1
TOTALS=0
RSS_MB=2048
ALL=(FuzzPNG FuzzJPEG FuzzSafetensors FuzzTorchZip FuzzLegacyTorch FuzzUnpickler FuzzRawDataCSV FuzzManifest FuzzTar FuzzZip)

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_EACH="$2"; shift 2 ;;
        --jobs) JOBS="$2"; shift 2 ;;
        --only) ONLY="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --totals) TOTALS=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
done
case "$SECONDS_EACH$JOBS" in *[!0-9]*) echo "fuzz.sh: --seconds and --jobs take whole numbers" >&2; exit 64 ;; esac

SCRATCH="${OODBENCH_FUZZ_SCRATCH:-$ROOT/.build-fuzz}"   # overridable, e.g. on a machine without the build
HISTORY="$SCRATCH/fuzz-history.tsv"

if [ "$TOTALS" = 1 ]; then
    [ -f "$HISTORY" ] || { echo "no fuzz runs recorded yet ($HISTORY)"; exit 0; }
    awk -F'\t' 'NR > 1 { s[$2] += $3; e[$2] += $4; if ($5 > c[$2]) c[$2] = $5; if ($6 > f[$2]) f[$2] = $6; x[$2] += $7 }
        END { printf "%-16s %9s %13s %6s %7s %8s\n", "target", "seconds", "executions", "cov", "ft", "findings"
              for (t in s) printf "%-16s %9d %13d %6d %7d %8d\n", t, s[t], e[t], c[t], f[t], x[t] }' "$HISTORY" | sort
    exit 0
fi

TARGETS=("${ALL[@]}")
if [ -n "$ONLY" ]; then IFS=',' read -r -a TARGETS <<< "$ONLY"; fi
for t in "${TARGETS[@]}"; do
    case " ${ALL[*]} " in *" $t "*) ;; *) echo "fuzz.sh: unknown target '$t' (known: ${ALL[*]})" >&2; exit 64 ;; esac
done

BIN="${OODBENCH_FUZZ_BIN:-$SCRATCH/release}"
if [ "$BUILD" = 1 ]; then
    mkdir -p "$SCRATCH"
    for t in "${TARGETS[@]}"; do
        echo "building $t …" >&2
        # Swift 6.3's driver keeps only one of two separate -sanitize= flags for some modules (coverage without
        # ASan, or ASan without coverage): pass both in one flag as well. --sanitize still links libFuzzer.
        if ! OODBENCH_FUZZ=1 swift build -c release --scratch-path "$SCRATCH" --sanitize fuzzer --sanitize address \
                -Xswiftc -sanitize=fuzzer,address --product "$t" > "$SCRATCH/build.log" 2>&1; then
            grep -E "error:" "$SCRATCH/build.log" | head -20 >&2
            echo "fuzz.sh: building $t failed (log: $SCRATCH/build.log)" >&2
            exit 2
        fi
    done
fi

MIRROR="${OODBENCH_MIRROR:-$ROOT/../shared/reference-data}"
# seeds TARGET: the seed files of a target, one per line (shared fixtures by path, never copied).
seeds() {
    local small="-size -65k"
    case "$1" in
        FuzzPNG) find "$ROOT/Tests/Fixtures/codec/in" "$ROOT/Tests/Fixtures/datasets" -name '*.png' $small
                 find "$MIRROR/texture-vs-shape/edge" -name '*.png' -size -16k 2>/dev/null | sort | head -20 ;;
        FuzzJPEG) find "$ROOT/Tests/Fixtures/codec/in" -name '*.jpg' $small
                  find "$MIRROR/texture-vs-shape/originals" -iname '*.jp*g' $small 2>/dev/null | sort ;;
        FuzzSafetensors) find "$ROOT/Fuzz/seeds/safetensors" -type f
                         find "$MIRROR/clip-mamba-fixtures" -name '*.safetensors' -size -16k 2>/dev/null ;;
        FuzzTorchZip) find "$ROOT/Fuzz/seeds/torch-zip" "$ROOT/Fuzz/seeds/zip" -type f ;;
        FuzzLegacyTorch) find "$ROOT/Fuzz/seeds/legacy-torch" -type f ;;
        FuzzUnpickler) find "$ROOT/Fuzz/seeds/pickle" -type f ;;
        FuzzRawDataCSV) find "$MIRROR/model-vs-human" -name '*.csv' -size -16k 2>/dev/null | sort | head -30 ;;
        FuzzManifest) find "$ROOT/datasets-manifest" -name '*.json' ;;
        FuzzTar) find "$ROOT/Fuzz/seeds/tar" -type f ;;
        FuzzZip) find "$ROOT/Fuzz/seeds/zip" "$ROOT/Fuzz/seeds/torch-zip" -type f ;;
    esac
}
max_len() {
    case "$1" in
        FuzzPNG|FuzzJPEG|FuzzRawDataCSV|FuzzManifest) echo 65536 ;;
        *) echo 16384 ;;
    esac
}

export SWIFT_BACKTRACE=enable=no   # Swift's own crash backtracer trips ASan; libFuzzer prints the stack
export LSAN_OPTIONS="suppressions=$ROOT/Fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
mkdir -p "$SCRATCH/logs"
[ -f "$HISTORY" ] || printf 'date\ttarget\tseconds\texecutions\tcov\tft\tfindings\n' > "$HISTORY"

run_one() {
    local t="$1" corpus="$SCRATCH/corpus/$1" findings="$SCRATCH/findings/$1" log="$SCRATCH/logs/$1.log"
    mkdir -p "$corpus" "$findings"
    seeds "$t" | grep -v '^$' | paste -sd, - > "$SCRATCH/logs/$t.seeds"   # libFuzzer wants commas
    local before after start end
    mkdir -p "$findings/slow"
    before=$(find "$findings" -maxdepth 1 -type f | wc -l)
    start=$(date +%s)
    # libFuzzer stops at its first finding; run again (up to the time left) so one finding does not end the run.
    local left="$SECONDS_EACH" part=0
    : > "$log"
    while [ "$left" -gt 0 ]; do
        part=$((part + 1))
        nice -n 10 "$BIN/$t" "$corpus" -seed_inputs=@"$SCRATCH/logs/$t.seeds" -max_total_time="$left" \
            -timeout=10 -report_slow_units=1 -rss_limit_mb="$RSS_MB" -max_len="$(max_len "$t")" \
            -print_final_stats=1 -artifact_prefix="$findings/" -close_fd_mask=1 > "$log.$part" 2>&1
        cat "$log.$part" >> "$log"
        # Slow units: a hang only if the input alone needs 1 s of CPU or more.
        for unit in "$findings"/slow-unit-* "$findings"/timeout-*; do
            [ -f "$unit" ] || continue
            /usr/bin/time -o "$log.cpu" -f '%U %S' "$BIN/$t" -timeout=30 "$unit" > /dev/null 2>&1
            cpu=$(tail -1 "$log.cpu" | awk '{print $1 + $2}')
            rm -f "$log.cpu"
            if awk -v c="$cpu" 'BEGIN { exit !(c >= 1.0) }'; then
                mv "$unit" "$findings/hang-$(basename "$unit" | sed 's/^slow-unit-//; s/^timeout-//')"
            else
                mv "$unit" "$findings/slow/"
                echo "slow under load only: $(basename "$unit") (${cpu} s CPU alone)" >> "$log"
            fi
        done
        execs_part=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log.$part" | tail -1 | grep -o '[0-9]*$')
        [ -n "$execs_part" ] || execs_part=$(grep -o '^#[0-9]*' "$log.$part" | tail -1 | tr -d '#')
        echo "${execs_part:-0}" >> "$log.execs"
        rm -f "$log.$part"
        left=$((SECONDS_EACH - ($(date +%s) - start)))
        [ "$left" -lt 5 ] && break
        [ "$part" -ge 20 ] && break
    done
    end=$(date +%s)
    after=$(find "$findings" -maxdepth 1 -type f | wc -l)
    local execs cov ft
    execs=$(awk '{ s += $1 } END { print s + 0 }' "$log.execs")
    rm -f "$log.execs"
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$((end - start))" "${execs:-0}" \
        "${cov:-0}" "${ft:-0}" "$(( after > before ? after - before : 0 ))" >> "$HISTORY"
}

echo "fuzzing ${#TARGETS[@]} target(s), ${SECONDS_EACH} s each, ${JOBS} at a time (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
RUN_START=$(date -u +%FT%TZ)
running=0
for t in "${TARGETS[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
printf '%-16s %8s %12s %6s %7s %8s  %s\n' target seconds executions cov ft findings log
for t in "${TARGETS[@]}"; do
    line=$(awk -F'\t' -v t="$t" -v s="$RUN_START" '$2 == t && $1 >= s' "$HISTORY" | tail -1)
    IFS=$'\t' read -r _ _ secs execs cov ft found <<< "$line"
    printf '%-16s %8s %12s %6s %7s %8s  %s\n' "$t" "$secs" "$execs" "$cov" "$ft" "$found" ".build-fuzz/logs/$t.log"
    if [ "${found:-0}" != 0 ]; then
        status=1
        find "$SCRATCH/findings/$t" -maxdepth 1 -type f -newer "$SCRATCH/logs/$t.seeds" | sed 's/^/    finding: /'
    fi
    grep '^slow under load only' "$SCRATCH/logs/$t.log" | sed 's/^/    /'
    grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$SCRATCH/logs/$t.log" | sort | uniq -c | sed 's/^/    /' 
done
exit $status
