# Ωpm — the two commands on a fresh machine: `make demo` and `make test`.
# Every target installs what it needs through scripts/setup.sh (idempotent).
SHELL := /bin/bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 10

.PHONY: all setup build test demo bench fuzz fuzz-ci lint test-rust test-nostd vectors

all: build

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --workspace --release

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p omega-core --all-targets --features sign,parallel -- -D warnings

# omega-core must build with no std at all, and for wasm32.
test-nostd: setup
	$(CARGO) build -p omega-core --no-default-features --target thumbv7em-none-eabihf
	$(CARGO) build -p omega-core --no-default-features --features sign --target thumbv7em-none-eabihf
	$(CARGO) build -p omega-core --no-default-features --features sign --target wasm32-unknown-unknown

test-rust: setup
	$(CARGO) test --workspace
	$(CARGO) test -p omega-core --features sign,parallel

test: lint test-nostd test-rust fuzz-ci

# Regenerates tests/vectors/*.json (deterministic: same output every run).
vectors:
	$(CARGO) run -p omega-core --example gen-vectors --features sign -- tests/vectors

demo: setup
	$(CARGO) run -p omega-core --example demo --features sign

bench: setup
	$(CARGO) bench -p omega-core --features sign,parallel

fuzz:
	OMEGA_SETUP_FUZZ=1 scripts/setup.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-ci:
	OMEGA_SETUP_FUZZ=1 scripts/setup.sh
	scripts/fuzz.sh $(FUZZ_CI_SECONDS)
