# Node binding (bindings/node: crate omega-node, napi-rs 3; npm package omega-verify). See
# docs/node.md.
#   build-node  the native addon: cargo build -p omega-node --release, copied to
#               bindings/node/omega.node (where the package loads it), so that
#               require("<repo>/bindings/node") works from any directory
#   test-node   npm ci (typescript), then the node --test suites twice, once on each engine
#               (OMEGA_ENGINE=native, OMEGA_ENGINE=wasm: the WASM build from build-wasm), and
#               tsc --noEmit on the typed examples (bindings/node/types-test). The suites make
#               their fixtures with the omega command line (release build).
#   bench-node  bindings/node/bench/cold-start.sh (express from the npm registry; see
#               docs/benchmarks.md)

NODE_DIR := bindings/node
NODE_TARGET := $(or $(CARGO_TARGET_DIR),target)
NODE_TESTS := test/*.test.js test/*.test.mjs

.PHONY: build-node test-node bench-node node-deps

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

test-node: build-node build-wasm node-deps
	$(CARGO) build --release -p omega-cli
	cd $(NODE_DIR) && OMEGA_BIN=$(abspath $(NODE_TARGET))/release/omega OMEGA_ENGINE=native node --test $(NODE_TESTS)
	cd $(NODE_DIR) && OMEGA_BIN=$(abspath $(NODE_TARGET))/release/omega OMEGA_ENGINE=wasm node --test $(NODE_TESTS)
	cd $(NODE_DIR) && node_modules/.bin/tsc -p types-test
	@echo "test-node: index.d.ts type-checks (tsc --noEmit, types-test/)"

bench-node: build-node
	$(CARGO) build --release -p omega-cli
	$(NODE_DIR)/bench/cold-start.sh
