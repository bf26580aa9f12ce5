# Python binding (bindings/python: crate omega-python, pyo3 0.30 abi3-py39, built by maturin).
# See docs/python.md.
#   build-python  the abi3 wheel -> target/wheels/, installed into .venv (made if missing)
#   test-python   pytest (functions, error codes, project and public vectors, threads, CLI
#                 parity with the omega binary, mypy on the stubs) and mypy --strict
#   bench-python  bindings/python/bench.py in its own venv (with PyNaCl and cryptography)
# extension-module is turned on by maturin through pyproject.toml only: never --all-features.

PY_DIR := bindings/python
PY_TARGET := $(abspath $(or $(CARGO_TARGET_DIR),target))
PY_VENV := .venv
PY_BENCH_VENV := $(PY_TARGET)/bench-venv
PY_WHEELS := $(PY_TARGET)/wheels
PY_MATURIN := 1.16.0
PY_PYTEST := 9.2.0
PY_MYPY := 2.4.1

.PHONY: build-python test-python bench-python python-venv

BUILD_TARGETS += build-python
TEST_TARGETS += test-python

python-venv:
	@test -x $(PY_VENV)/bin/python || python3 -m venv $(PY_VENV)
	@$(PY_VENV)/bin/python -m pip --version >/dev/null
	@$(PY_VENV)/bin/python - <<<'import importlib.metadata as m, sys; want = {"maturin": "$(PY_MATURIN)", "pytest": "$(PY_PYTEST)", "mypy": "$(PY_MYPY)"}; sys.exit(any(m.version(k) != v for k, v in want.items()))' 2>/dev/null \
	  || $(PY_VENV)/bin/pip install -q --disable-pip-version-check maturin==$(PY_MATURIN) pytest==$(PY_PYTEST) mypy==$(PY_MYPY)

build-python: python-venv
	rm -f $(PY_WHEELS)/omega_verify-*.whl
	cd $(PY_DIR) && $(abspath $(PY_VENV))/bin/maturin build --release --out $(PY_WHEELS)
	$(PY_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEELS)/omega_verify-*.whl

test-python: setup build-python
	$(CARGO) build -q -p omega-cli
	cd $(PY_DIR) && OMEGA_CLI=$(PY_TARGET)/debug/omega $(abspath $(PY_VENV))/bin/python -m pytest -q -p no:cacheprovider tests
	cd $(PY_DIR) && $(abspath $(PY_VENV))/bin/python -m mypy --strict --no-incremental --cache-dir=/dev/null python/omega_verify tests/*.py tests/typing/example.py

bench-python: build-python
	@test -x $(PY_BENCH_VENV)/bin/python || python3 -m venv $(PY_BENCH_VENV)
	$(PY_BENCH_VENV)/bin/pip install -q --disable-pip-version-check pynacl==1.6.2 cryptography==50.0.2
	$(PY_BENCH_VENV)/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps $(PY_WHEELS)/omega_verify-*.whl
	$(PY_BENCH_VENV)/bin/python $(PY_DIR)/bench.py
