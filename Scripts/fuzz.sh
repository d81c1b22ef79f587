#!/usr/bin/env bash
# `make fuzz`: builds every libFuzzer target in Tests/Fuzz/ (-sanitize=fuzzer,address) and runs each for FUZZ_SECONDS
# (default 60) from its committed seed corpus and dictionary. Fails on any crash, leak or sanitizer report; the input
# that caused it is left in .build-fuzz/artifacts/. Prints the executions of each target and the total. New inputs
# libFuzzer finds go to .build-fuzz/corpus/<target> (not committed). FUZZ_TARGETS="board sim-command" runs only those.
#
# A target is Tests/Fuzz/<Name>Target.swift, a seed folder Tests/Fuzz/corpus/<name>/ and a dictionary
# Tests/Fuzz/<name>.dict, built one of two ways:
# - "sources": compiled in one module with the sources of a module that imports nothing (OCPPMessages), -O. Fastest
#   to build and to run.
# - "package": compiled against the package's own modules, built by SwiftPM in .build-fuzz/package with
#   `-Xswiftc -sanitize=fuzzer,address` (debug, so `@testable import` reaches internal parsers). The board file, the
#   device-model file and the sim socket's requests are parsed in modules that also hold NIO and logging code;
#   building only OCPPStationHardware's closure (no BoringSSL, no WebSocket, no storage) costs less than moving the
#   parsers out of their modules. Only Swift is instrumented; the C shims of NIO stay as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
SWIFT=${SWIFT:-swift}
SWIFTC=${SWIFTC:-swiftc}
OUT=.build-fuzz
PACKAGE="$OUT/package"
mkdir -p "$OUT/artifacts"
# A trap goes to libFuzzer and ASan as it is: Swift's own backtracer would catch it first (and trips ASan).
export SWIFT_BACKTRACE=enable=no

# name | target file | how it is built
TARGETS=(
    "frame|Tests/Fuzz/FrameTarget.swift|sources:Sources/OCPPMessages"
    "board|Tests/Fuzz/BoardTarget.swift|package"
    "device-model|Tests/Fuzz/DeviceModelTarget.swift|package"
    "sim-command|Tests/Fuzz/SimCommandTarget.swift|package"
)
selected=" ${FUZZ_TARGETS:-frame board device-model sim-command} "

# The package's modules the "package" targets link: OCPPStationHardware and everything it depends on.
package_built=""
build_package() {
    [ -n "$package_built" ] && return
    echo "fuzz: building OCPPStationHardware and its dependencies (SwiftPM, $PACKAGE)"
    if ! $SWIFT build --scratch-path "$PACKAGE" --target OCPPStationHardware -Xswiftc -sanitize=fuzzer,address \
        >"$OUT/package-build.log" 2>&1; then
        grep -A3 'error:' "$OUT/package-build.log" | head -40
        echo "fuzz: the package build failed (log $OUT/package-build.log)"
        exit 1
    fi
    PACKAGE_BIN=$($SWIFT build --scratch-path "$PACKAGE" --show-bin-path)
    package_built=1
}

# How a file that imports the package's modules is compiled and linked: the search paths and C module maps SwiftPM
# compiled OCPPStationHardware with (read from its build manifest), and every object file of the build; one argument a
# line (some object files have spaces in their names).
package_flags() {
    python3 - "$PACKAGE/debug.yaml" <<'PY'
import json, sys
args = []
for line in open(sys.argv[1]):
    if '"-module-name","OCPPStationHardware"' in line:
        args = json.loads(line.split("args:", 1)[1])
keep, i = [], 0
while i < len(args):
    arg, following = args[i], args[i + 1] if i + 1 < len(args) else ""
    if arg == "-I":
        keep += args[i:i + 2]; i += 2
    elif arg.startswith("-I"):
        keep.append(arg); i += 1
    elif arg == "-Xcc" and following.startswith("-fmodule-map-file="):
        keep += args[i:i + 2]; i += 2
    elif arg == "-Xcc" and following == "-I":
        keep += args[i:i + 4]; i += 4
    else:
        i += 1
print("\n".join(keep))
# The objects of the current sources only (a renamed file's old object stays in the build folder): a Swift module's
# from its output file map, a C module's from its folder.
import glob, os
binary = os.path.dirname(glob.glob(os.path.dirname(sys.argv[1]) + "/*/debug/Modules")[0])
for folder in sorted(glob.glob(binary + "/*.build")):
    output_map = folder + "/output-file-map.json"
    if os.path.exists(output_map):
        objects = [entry.get("object") for entry in json.load(open(output_map)).values()]
    else:
        objects = glob.glob(folder + "/**/*.o", recursive=True)
    for path in sorted(o for o in objects if o and os.path.exists(o)):
        print(path)
PY
}

total=0
for entry in "${TARGETS[@]}"; do
    IFS='|' read -r name target how <<<"$entry"
    [[ "$selected" == *" $name "* ]] || continue
    binary="$OUT/fuzz-$name"
    case "$how" in
    sources:*)
        sources=${how#sources:}
        # shellcheck disable=SC2046
        if [ ! -x "$binary" ] || [ -n "$(find "$target" $sources -newer "$binary" -name '*.swift' | head -1)" ]; then
            echo "fuzz: building $name"
            $SWIFTC -sanitize=fuzzer,address -parse-as-library -O -g -module-name "Fuzz_$name" \
                "$target" $(find $sources -name '*.swift' | sort) -o "$binary" 2> >(grep -v 'warning:' >&2 || true)
        fi
        ;;
    package)
        build_package
        echo "fuzz: linking $name"
        mapfile -t flags < <(package_flags)
        $SWIFTC -sanitize=fuzzer,address -parse-as-library -g -module-name "Fuzz_${name//-/_}" \
            "$target" "${flags[@]}" -o "$binary" 2> >(grep -v 'warning:' >&2 || true)
        ;;
    esac
    mkdir -p "$OUT/corpus/$name"
    log="$OUT/fuzz-$name.log"
    echo "fuzz: $name for ${FUZZ_SECONDS}s"
    if ! "$binary" "$OUT/corpus/$name" "Tests/Fuzz/corpus/$name" -dict="Tests/Fuzz/$name.dict" \
        -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" -max_len=8192 \
        -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
        tail -60 "$log"
        echo "fuzz: $name FAILED (input in $OUT/artifacts/, log $log)"
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $name ok, ${runs:-0} executions"
    total=$((total + ${runs:-0}))
done
echo "fuzz: all targets ok, $total executions in total"
