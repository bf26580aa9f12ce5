# Swift and Kotlin bindings (bindings/swift: crate omega-swift, uniffi 0.32.2). See
# bindings/swift/README.md.
#   build-swift     release static library for the Swift package -> bindings/swift/OmegaVerify/lib/
#   test-swift      the committed Swift/Kotlin sources match the library; the C header is valid
#                   C; pytest drives the uniffi C ABI through generated Python bindings
#   swift-bindings  regenerate the committed Swift and Kotlin sources after an API change
# The bindgen (crate uniffi-bindgen) is built in the dev profile and only here: it is not a
# default member of the workspace.

SWIFT_DIR := bindings/swift
SWIFT_TARGET := $(or $(CARGO_TARGET_DIR),target)
SWIFT_VENV := $(SWIFT_DIR)/.venv-uniffi
SWIFT_PYTEST := 9.2.0
SWIFT_HEADER := $(SWIFT_DIR)/OmegaVerify/Sources/OmegaVerifyFFI/OmegaVerifyFFI.h

.PHONY: build-swift test-swift swift-bindings swift-venv swift-dev-build

BUILD_TARGETS += build-swift
TEST_TARGETS += test-swift

build-swift: setup
	$(CARGO) build -p omega-swift --release
	mkdir -p $(SWIFT_DIR)/OmegaVerify/lib
	cp $(SWIFT_TARGET)/release/libomega_swift.a $(SWIFT_DIR)/OmegaVerify/lib/
	@echo "build-swift: $(SWIFT_DIR)/OmegaVerify/lib/libomega_swift.a (link it with swift build in $(SWIFT_DIR)/OmegaVerify)"

swift-dev-build: setup
	$(CARGO) build -p omega-swift -p uniffi-bindgen
	$(CARGO) build -q -p omega-cli

swift-venv:
	@test -x $(SWIFT_VENV)/bin/pytest && $(SWIFT_VENV)/bin/pytest --version 2>&1 | grep -q ' $(SWIFT_PYTEST)$$' \
	  || { rm -rf $(SWIFT_VENV) && python3 -m venv $(SWIFT_VENV) \
	       && $(SWIFT_VENV)/bin/pip install -q --disable-pip-version-check pytest==$(SWIFT_PYTEST); }

swift-bindings: swift-dev-build
	$(SWIFT_DIR)/bindgen.sh write

test-swift: swift-dev-build swift-venv
	$(SWIFT_DIR)/bindgen.sh check
	@# = gcc -D_Nullable= -D_Nonnull= -fsyntax-only -x c HEADER, included rather than compiled
	@# as the main file (gcc warns about its #pragma once there), and with warnings as errors.
	printf '#include "%s"\n' $(SWIFT_HEADER) | gcc -std=c11 -Wall -Wextra -Werror -D_Nullable= -D_Nonnull= -fsyntax-only -I. -x c -
	@echo "test-swift: $(SWIFT_HEADER) is valid C"
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
	  && $(SWIFT_DIR)/bindgen.sh python "$$tmp" \
	  && OMEGA_UNIFFI_PY="$$tmp" OMEGA_STATIC_LIB="$(abspath $(SWIFT_TARGET))/debug/libomega_swift.a" \
	     OMEGA_CLI="$(abspath $(SWIFT_TARGET))/debug/omega" \
	     $(SWIFT_VENV)/bin/python -m pytest -q -rP -p no:cacheprovider $(SWIFT_DIR)/tests
