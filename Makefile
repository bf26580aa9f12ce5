# Ωpm — the two commands on a fresh machine: `make demo` and `make test`.
# Every target installs what it needs through scripts/setup.sh (idempotent).
SHELL := /bin/bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 10

# Each binding adds its targets in mk/<name>.mk and appends them to BUILD_TARGETS,
# TEST_TARGETS and DEMO_TARGETS.
BUILD_TARGETS :=
TEST_TARGETS :=
DEMO_TARGETS :=
-include mk/*.mk

.PHONY: all setup build test demo bench bench-registry fuzz fuzz-ci lint test-rust test-nostd vectors vectors-check

all: build

setup:
	@scripts/setup.sh

build: setup $(BUILD_TARGETS)
	$(CARGO) build --release -p omega-core -p omega-cli

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --exclude uniffi-bindgen -- -D warnings
	$(CARGO) clippy -p omega-core --all-targets --features sign,parallel -- -D warnings

# omega-core must build with no std at all, and for wasm32.
test-nostd: setup
	$(CARGO) build -p omega-core --no-default-features --target thumbv7em-none-eabihf
	$(CARGO) build -p omega-core --no-default-features --features sign --target thumbv7em-none-eabihf
	$(CARGO) build -p omega-core --no-default-features --features sign --target wasm32-unknown-unknown

test-rust: setup
	$(CARGO) test --workspace --exclude uniffi-bindgen
	$(CARGO) test -p omega-core --features sign,parallel

# The committed vectors must be exactly what the generator makes today.
vectors-check:
	@tmp=$$(mktemp -d) && $(CARGO) run -q -p omega-core --example gen-vectors --features sign -- $$tmp >/dev/null \
	  && for f in $$tmp/*.json; do cmp -s $$f tests/vectors/$$(basename $$f) || { echo "tests/vectors/$$(basename $$f) is stale: run make vectors"; exit 1; }; done \
	  && echo "vectors: committed files match the generator"; rm -rf $$tmp

test: lint test-nostd test-rust vectors-check $(TEST_TARGETS) fuzz-ci

# Regenerates tests/vectors/*.json (deterministic: same output every run).
vectors:
	$(CARGO) run -p omega-core --example gen-vectors --features sign -- tests/vectors

demo: setup $(DEMO_TARGETS)
	scripts/demo.sh

bench: setup
	scripts/bench.sh
	PARTS="express scale verify" scripts/bench-registry.sh

# The registry benchmarks of issue 14 alone (nginx on loopback; PARTS, SIZES, ROUNDS: see
# the script). Not part of `make test`.
bench-registry: setup
	scripts/bench-registry.sh

fuzz:
	OMEGA_SETUP_FUZZ=1 scripts/setup.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-ci:
	OMEGA_SETUP_FUZZ=1 scripts/setup.sh
	scripts/fuzz.sh $(FUZZ_CI_SECONDS)
