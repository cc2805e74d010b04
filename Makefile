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
	echo "NOTE: headless Chromium is not installed, so the browser tests are skipped. Install it with: sudo apt-get install -y chromium chromium-driver fonts-ipafont-gothic fonts-noto-color-emoji"

# Tests that execute no lab and take well under a second each: the edit loop (`make check`).
FAST := not built_html and not executes_lab and not slow

.PHONY: book book-ja translations pdf test check browser clean
# Each notebook is executed once, into the book's jupyter-cache (two at a time); the build
# renders both editions from the cache and executes nothing (a second `make book` executes nothing at all).
book: $(STAMP)
	$(BIN)/python _ext/execute_labs.py . --jobs $(JOBS)
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

# The edit loop: the linter and the unit tests that execute no lab (about a minute).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests -m "$(FAST)" -q -n $(JOBS)

# Everything: the linter, every test that needs no built book (the fast ones, the slow ones and
# one real grading loop), every notebook under nbval, the book (each lab executed once more,
# into the cache), then the checks that read the built book and the executed labs.
test: $(STAMP)
	@$(CHROMIUM_NOTE)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests -m "not built_html" -q -n $(JOBS) --dist loadfile -rs
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -n $(JOBS) --dist loadfile chapters -q
	$(MAKE) --no-print-directory book
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then $(MAKE) --no-print-directory pdf; fi
	$(BIN)/python -m pytest tests -m built_html -q -rs
	@$(CHROMIUM_NOTE)

# The book as PDF, one per edition, in _build/pdf/ (every page of the site links its edition's):
# the single-page build, whose outputs come from the execution cache (no notebook runs again),
# printed by headless Chromium (tools/make_pdf.py). Build the site first (make book).
pdf: $(STAMP)
	mkdir -p _build/pdf; set -o pipefail; $(BIN)/jupyter-book build . --builder singlehtml -W --keep-going 2>&1 | tee _build/pdf/singlehtml-en.log
	$(BIN)/python tools/make_pdf.py _build/singlehtml _build/pdf/rnn-course-en.pdf --lang en --copy-to _build/html
	@if [ -f _build/ja_src/_config.yml ]; then \
	  set -o pipefail; $(BIN)/jupyter-book build _build/ja_src --path-output _build/ja --builder singlehtml -W --keep-going 2>&1 | tee _build/pdf/singlehtml-ja.log && \
	  $(BIN)/python tools/make_pdf.py _build/ja/_build/singlehtml _build/pdf/rnn-course-ja.pdf --lang ja --copy-to _build/html/ja; \
	else echo "No Japanese sources in _build/ja_src (make book-ja makes them): rnn-course-ja.pdf not printed"; fi

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
