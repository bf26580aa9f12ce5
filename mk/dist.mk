# Release artifacts (docs/dist.md): static musl `omega` binaries, abi3 Python wheels
# (manylinux2014 and musllinux_1_2, x86_64 and aarch64) and an sdist, the npm packages in the
# napi-rs layout (omega-verify, one package per platform, omega-verify-wasm), SHA256SUMS and
# its minisign signature. Cross-compiled with zig (PyPI `ziglang`) through cargo-zigbuild and
# maturin --zig; the aarch64 artifacts are run under qemu-aarch64-static.
#   make dist         scripts/dist.sh -> $(DIST_DIR)/ (DIST_FAST=1: no LTO, for quick runs;
#                     OMEGA_RELEASE_KEY/OMEGA_RELEASE_PUB: the release key, else a test key)
#   make dist-test    scripts/dist-test.sh: the artifacts as installed (fresh venv, fresh npm
#                     app, downloaded tarballs), on x86_64 and on aarch64 under qemu
#   make dist-check   (in make test) the npm platform skeletons agree with their names and the
#                     workspace version, and the packaging scripts parse
.PHONY: dist dist-test dist-check setup-dist

DIST_DIR ?= dist

TEST_TARGETS += dist-check

setup-dist: setup
	scripts/setup-dist.sh

dist: setup-dist
	DIST_DIR=$(abspath $(DIST_DIR)) scripts/dist.sh

dist-test: dist
	DIST_DIR=$(abspath $(DIST_DIR)) scripts/dist-test.sh

dist-check:
	@bash -n scripts/dist.sh && bash -n scripts/dist-test.sh && bash -n scripts/setup-dist.sh && bash -n scripts/musl-python.sh
	@python3 -m py_compile scripts/dist-vectors.py
	@node scripts/dist-check.js
