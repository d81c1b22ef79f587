#!/usr/bin/env bash
# `make fuzz`: builds every libFuzzer target in Fuzz/ (swiftc -sanitize=fuzzer,address) and runs each for
# FUZZ_SECONDS (default 60) from its committed seed corpus and dictionary. Fails on any crash, leak or sanitizer
# report; the input that caused it is left in .build-fuzz/artifacts/. Prints the executions of each target and the
# total. New inputs libFuzzer finds go to .build-fuzz/corpus/<target> (not committed).
#
# A target is Fuzz/<Name>Target.swift plus the sources it is compiled with (one module, no imports), a seed folder
# Fuzz/corpus/<name>/ and a dictionary Fuzz/<name>.dict.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
SWIFTC=${SWIFTC:-swiftc}
OUT=.build-fuzz
mkdir -p "$OUT/artifacts"

# name | target file | source folders compiled with it
TARGETS=(
    "frame|Fuzz/FrameTarget.swift|Sources/OCPPMessages"
)

total=0
for entry in "${TARGETS[@]}"; do
    IFS='|' read -r name target sources <<<"$entry"
    binary="$OUT/fuzz-$name"
    # shellcheck disable=SC2046
    if [ ! -x "$binary" ] || [ -n "$(find "$target" $sources -newer "$binary" -name '*.swift' | head -1)" ]; then
        echo "fuzz: building $name"
        $SWIFTC -sanitize=fuzzer,address -parse-as-library -O -g -module-name "Fuzz_$name" \
            "$target" $(find $sources -name '*.swift' | sort) -o "$binary" 2> >(grep -v 'warning:' >&2 || true)
    fi
    mkdir -p "$OUT/corpus/$name"
    log="$OUT/fuzz-$name.log"
    echo "fuzz: $name for ${FUZZ_SECONDS}s"
    if ! "$binary" "$OUT/corpus/$name" "Fuzz/corpus/$name" -dict="Fuzz/$name.dict" -max_total_time="$FUZZ_SECONDS" \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        >"$log" 2>&1; then
        tail -60 "$log"
        echo "fuzz: $name FAILED (input in $OUT/artifacts/, log $log)"
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $name ok, ${runs:-0} executions"
    total=$((total + ${runs:-0}))
done
echo "fuzz: all targets ok, $total executions in total"
