# `make test` and `make demo` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The monitoring benchmark's peer, Evidently, lives in an environment of its own (see the file).
PEER_VENV := $(VENV)/peer-evidently
PEER_STAMP := $(PEER_VENV)/.installed-stamp
# PostgreSQL for the store tests; .ci/run also sets ATTEST_TEST_REQUIRE_POSTGRES=1 so that an
# unreachable server fails the run instead of skipping those tests.
export ATTEST_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: venv test demo bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(PEER_STAMP): bench/requirements-evidently.txt | $(STAMP)
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/pip install --quiet -r bench/requirements-evidently.txt
	touch $(PEER_STAMP)

test: venv
	$(BIN)/python -m pytest -n 2 --dist loadgroup

demo: venv
	$(BIN)/attest demo

bench: venv $(PEER_STAMP)
	$(BIN)/python -m bench.run

lint: venv
	$(BIN)/ruff format --check attest tests bench
	$(BIN)/ruff check attest tests bench
	$(BIN)/mypy attest

clean:
	rm -rf $(VENV) .attest .pytest_cache .mypy_cache .ruff_cache .hypothesis
