# ocpp-station: the two commands a newcomer needs are `make run` and `make test`.
SWIFT ?= swift
VENV := .venv
PYTHON := $(VENV)/bin/python
APT_PACKAGES := libssl-dev zlib1g-dev libsqlite3-dev libgpiod-dev libmodbus-dev socat python3-venv openssl
RELEASE_AGENT := .build/release/station-agent
DEBUG_AGENT := .build/debug/station-agent
CSMS_PORT ?= 9000

.PHONY: setup system-packages build build-debug test unit-test integration-test soak run bench bench-codec fuzz \
	test-sanitize test-asan test-tsan generate link-order clean

## setup: install the system packages and the Python venv the tests and `make run` use (idempotent). `make build`,
## `make run` and `make test` do it themselves: a fresh clone needs no separate step.
setup: system-packages $(VENV)/.installed

## system-packages: the C libraries the build links (SQLite, libgpiod, libmodbus) and socat for the Modbus tests.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: Tests/integration/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r Tests/integration/requirements.txt
	touch $@

## build: the release agent, Swift runtime linked statically, at .build/release/station-agent.
## Hardened: a position-independent executable (ASLR for the image of a process that terminates TLS), full RELRO
## (-z relro -z now: the GOT is read-only after start, every symbol bound at load) and the stack protector for the C
## parts (BoringSSL, NIO's shims). Every function gets its own section, and the linker places the ones the agent runs
## to boot and idle (Scripts/link-order.txt, `make link-order`) side by side: idle RSS 22.0 -> 18.6 MiB. The executable
## exports no dynamic symbols (static-stdlib-args.lnk asks for -export-dynamic): 33,000 of them cost 1.6 MiB of
## resident symbol tables and a linear dladdr scan at start-up.
## Linked by lld (the toolchain's ld.lld) rather than gold, for two things gold cannot do (figures side by side, same
## objects, only the link differs; README "Performance"):
## - -z pack-relative-relocs (DT_RELR, glibc >= 2.36): the PIE's 69,000 relative relocations as a bitmap instead of
##   24-byte RELA entries: .rela.dyn 1.70 MB -> 0.02 MB of pages every start maps; stripped 27.55 -> 25.87 MB with lld.
## - --icf=all: identical functions are folded even where Swift and C take their address; the folded functions are
##   code-identical, so only an address comparison between two of them could tell, which neither Swift's runtime nor
##   BoringSSL (Chromium links it with lld --icf=all) relies on. 25.87 -> 24.06 MB (gold --icf=safe gave 26.98 MB).
## lld's --symbol-ordering-file takes symbol names (gold's --section-ordering-file took .text.<symbol>).
PIE ?= 1
LINK_FLAGS := -Xswiftc -use-ld=lld $(if $(filter 1,$(PIE)),-Xlinker -pie,-Xlinker -no-pie) -Xlinker -z -Xlinker relro \
	-Xlinker -z -Xlinker now -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic -Xlinker --icf=all \
	-Xlinker --symbol-ordering-file=$(CURDIR)/Scripts/link-order.txt -Xlinker --no-warn-symbol-ordering
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections \
	-Xcc -ffunction-sections -Xcc -fstack-protector-strong $(LINK_FLAGS)
build: system-packages
	$(SWIFT) build $(RELEASE_FLAGS) --product station-agent

## link-order: regenerate Scripts/link-order.txt from a callgrind run of the release agent, then relink with it.
link-order: build $(VENV)/.installed
	@command -v valgrind >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq valgrind; }
	$(PYTHON) Scripts/generate-link-order.py --agent $(RELEASE_AGENT)
	rm -f $(RELEASE_AGENT) && $(SWIFT) build $(RELEASE_FLAGS) --product station-agent

build-debug: system-packages
	$(SWIFT) build --build-tests

## test: Swift unit tests, then the integration suite against the real CSMS (Python `ocpp` package).
test: setup build-debug unit-test integration-test

unit-test:
	$(SWIFT) test --skip-build

integration-test: $(VENV)/.installed
	STATION_AGENT=$(CURDIR)/$(DEBUG_AGENT) $(PYTHON) -m pytest -q Tests/integration

## soak: the fault-injection harness of the integration suite for SOAK_CYCLES cycles (default 1000): sessions cut by
## SIGKILL at random instants, the CSMS up, down or dropping replies; prints one summary line, exit 1 on any lost,
## duplicated or malformed TransactionEvent. SOAK_SEED=S replays a run's choices.
SOAK_CYCLES ?= 1000
soak: $(VENV)/.installed build-debug
	STATION_AGENT=$(CURDIR)/$(DEBUG_AGENT) SOAK_CYCLES=$(SOAK_CYCLES) $(PYTHON) Tests/integration/faults.py --quiet

## run: the dev CSMS on localhost and the agent on the simulated board; Ctrl-C stops both.
run: build $(VENV)/.installed
	@bash Scripts/run-dev.sh $(RELEASE_AGENT) $(CSMS_PORT)

## bench: start-up time, idle memory, the durable outbox's enqueue and replay rates, the binary's footprint.
bench: build $(VENV)/.installed
	$(SWIFT) build $(RELEASE_FLAGS) --product station-bench
	$(PYTHON) Scripts/bench.py --agent $(RELEASE_AGENT) --bench-tool .build/release/station-bench
	$(PYTHON) Scripts/codec-bench.py --bench-tool .build/release/station-bench

## bench-codec: only the codec figure: OCPPMessages beside the Python `ocpp` package on the same frame, and the ratio.
bench-codec: $(VENV)/.installed
	$(SWIFT) build $(RELEASE_FLAGS) --product station-bench
	$(PYTHON) Scripts/codec-bench.py --bench-tool .build/release/station-bench

## fuzz: every libFuzzer target in Tests/Fuzz/ (an OCPP-J frame, a board file, a device-model file, a sim-socket
## request line) for FUZZ_SECONDS each (default 60); fails on any crash, leak or sanitizer report (Scripts/fuzz.sh).
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) nice -n 10 bash Scripts/fuzz.sh

## test-sanitize: the Swift tests under AddressSanitizer + UndefinedBehaviorSanitizer, then under ThreadSanitizer.
## Both runs share one build folder (SANITIZE_BUILD, default .build-sanitize) and the same C flags, so the C code
## (BoringSSL above all, the NIO shims) is compiled once, with UBSan, and only the Swift code is compiled twice:
## `-Xswiftc -sanitize=` instruments Swift alone (SwiftPM's `--sanitize` would change the C flags between the runs
## and rebuild BoringSSL). swiftc has no -sanitize=undefined on Linux (Swift traps on overflow and out-of-bounds by
## itself), so UBSan covers the C code and its runtime is linked by clang's driver; the ASan and TSan runtimes carry
## it. Uninstrumented C is allowed by both: ASan misses bad accesses made inside it, TSan sees its pthread and
## atomic operations through its interceptors.
SANITIZE_BUILD ?= .build-sanitize
SANITIZE_COMMON := --scratch-path $(SANITIZE_BUILD) -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
	-Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined
ASAN_FLAGS := $(SANITIZE_COMMON) -Xswiftc -sanitize=address
TSAN_FLAGS := $(SANITIZE_COMMON) -Xswiftc -sanitize=thread
test-sanitize: test-asan test-tsan

## A trap (a failed precondition) is reported by the sanitizer with its stack: Swift's own backtracer would catch it
## first, and its reads of other threads' stacks are themselves reported by ASan, hiding the trap.
SANITIZE_ENV := SWIFT_BACKTRACE=enable=no UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
test-asan: setup
	nice -n 10 $(SWIFT) build --build-tests $(ASAN_FLAGS)
	$(SANITIZE_ENV) ASAN_OPTIONS=handle_sigill=1:handle_abort=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt:print_suppressions=0 \
		nice -n 10 $(SWIFT) test --skip-build $(ASAN_FLAGS)

test-tsan: setup
	nice -n 10 $(SWIFT) build --build-tests $(TSAN_FLAGS)
	$(SANITIZE_ENV) TSAN_OPTIONS=halt_on_error=1:handle_sigill=1:handle_abort=1 \
		nice -n 10 $(SWIFT) test --skip-build $(TSAN_FLAGS)

## generate: regenerate Sources/OCPPMessages/Generated from the vendored OCA schemas, and the required-variable list
## from the vendored appendix CSV (Scripts/spec/dm_components_vars.csv).
generate:
	python3 Scripts/generate-messages.py
	python3 Scripts/generate-required-variables.py

clean:
	rm -rf .build .build-sanitize .build-fuzz run-data bench-data
