# Two commands matter: `make run` and `make test`. Both set the project up on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SHARED ?= ../shared/data

.PHONY: setup run test lint format clean bench-perf bench-retrieval bench-attribution bench-load

setup: $(STAMP)

# The CPU build of torch goes in first: a plain `torch` requirement would pull a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/attribot run --bootstrap-sample

# Packages the type checker covers (pyproject.toml [tool.mypy]).
TYPED := corpus

test: $(STAMP)
	$(BIN)/ruff check corpus retrieval bot tests bench
	$(BIN)/mypy $(TYPED)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check corpus retrieval bot tests bench
	$(BIN)/ruff format --check corpus retrieval bot tests bench
	$(BIN)/mypy $(TYPED)

format: $(STAMP)
	$(BIN)/ruff format corpus retrieval bot tests bench
	$(BIN)/ruff check --fix corpus retrieval bot tests bench

# Benchmarks print figures and ratios against baselines measured in the same run.
bench-perf: $(STAMP)
	$(BIN)/python bench/perf.py

bench-retrieval: $(STAMP)
	$(BIN)/python bench/retrieval_eval.py --realtimeqa $(SHARED)/realtimeqa-dev --xquad $(SHARED)/xquad-en/xquad.en.json --distractors $(SHARED)/polnear/dev/text

bench-attribution: $(STAMP)
	$(BIN)/python bench/attribution_eval.py $(SHARED)/polnear/dev

bench-load: $(STAMP)
	$(BIN)/python bench/load.py --n 200

clean:
	rm -rf $(VENV) data/index .pytest_cache
