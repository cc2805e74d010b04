# The two commands a newcomer needs:  `make book`  and  `make test`.
# Each creates .venv from requirements.txt when it is missing or older than requirements.txt/pyproject.toml.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2

# The browser tests need Debian's chromium and chromium-driver; without them they are skipped.
CHROMIUM_NOTE = command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	echo "NOTE: headless Chromium is not installed, so the browser tests are skipped. Install it with: sudo apt-get install -y chromium chromium-driver fonts-ipafont-gothic"

.PHONY: book book-ja translations test browser clean
book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going
	@$(MAKE) --no-print-directory book-ja
	@echo "Open _build/html/index.html (日本語: _build/html/ja/index.html; both work offline); run times: _build/html/chapters/run_times.html"

# The Japanese edition: sources made from the English ones and locales/ja (see CONTRIBUTING.md),
# rendered with the English build's execution cache (no notebook runs again), into _build/html/ja.
book-ja: $(STAMP)
	$(BIN)/python _ext/translations.py sources _build/ja_src
	rm -rf _build/ja && mkdir -p _build/ja  # rendered afresh (about 30 s): nothing stale survives
	set -o pipefail; $(BIN)/jupyter-book build _build/ja_src --path-output _build/ja -W --keep-going 2>&1 | tee _build/ja/build.log
	rm -rf _build/html/ja && cp -a _build/ja/_build/html _build/html/ja

# After an English edit: merge it into the Japanese catalogues and list what needs translating.
translations: $(STAMP)
	$(BIN)/python _ext/translations.py update

test: $(STAMP)
	@$(CHROMIUM_NOTE)
	$(BIN)/python -m pytest tests -m "not built_html" -q
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -n $(JOBS) --dist loadfile chapters -q
	$(BIN)/jupyter-book build . -W --keep-going
	@$(MAKE) --no-print-directory book-ja
	$(BIN)/python -m pytest tests -m built_html -q -rs
	@$(CHROMIUM_NOTE)

# Open every page of the built book in headless Chromium, list problems, save screenshots.
browser: $(STAMP)
	$(BIN)/python tests/browser_check.py _build/html

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

clean:
	rm -rf _build
