# WebAssembly binding (bindings/wasm/) and the browser examples (examples/browser/).
#   make build-wasm   pkg/ (ES module, browsers) and pkg-node/ (CommonJS, Node fallback, with the
#                     Node loader's exports: cargo feature `loader`); installs
#                     the pinned wasm-bindgen-cli and the npm tools (npm ci) when missing
#   make test-wasm    node --test on the vectors (and the CLI's --json, byte for byte), then
#                     headless chromium (scripts/setup-browser.sh)
#   make bench-wasm   bindings/wasm/bench.mjs: verify/s and BLAKE2b MB/s vs noble and libsodium
.PHONY: build-wasm test-wasm test-wasm-node test-wasm-browser bench-wasm

BUILD_TARGETS += build-wasm
TEST_TARGETS += test-wasm

build-wasm: setup
	bindings/wasm/build.sh

test-wasm-node: build-wasm
	$(CARGO) build -q -p omega-cli
	cd bindings/wasm && OMEGA_CLI=$(abspath $(or $(CARGO_TARGET_DIR),target))/debug/omega node --test test/*.test.mjs

test-wasm-browser: build-wasm
	scripts/setup-browser.sh
	$(CARGO) build -q -p omega-cli
	OMEGA_BIN=$(abspath $(or $(CARGO_TARGET_DIR),target))/debug/omega node bindings/wasm/test/browser.mjs

test-wasm: test-wasm-node test-wasm-browser

bench-wasm: build-wasm
	node bindings/wasm/bench.mjs
