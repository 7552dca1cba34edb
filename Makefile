# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install install-dev system-deps lint typecheck eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

# llama.cpp compiled for any x86-64 CPU, not tuned to this one: a native build uses AMX
# where the CPU has it, and those kernels crash (SIGSEGV in ggml_backend_amx_mul_mat) on
# machines like ours. Built without pip's cache, which may hold a wheel from a native build.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir -c constraints.txt \
	  "llama-cpp-python[server]"
	$(BIN)/pip install -q -c constraints.txt -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Debian's chromium for the browser tests (never a browser download).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install
	$(BIN)/interview-bot serve

lint: install-dev
	$(BIN)/ruff check interview_bot tests evals
	$(BIN)/ruff format --check interview_bot tests evals

typecheck: install-dev
	$(BIN)/mypy interview_bot evals

test: install-dev system-deps lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider

eval: install
	$(BIN)/interview-bot eval-all

bench: install-dev
	$(BIN)/python evals/bench.py
	$(BIN)/python evals/bench_load.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
