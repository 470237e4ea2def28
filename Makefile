# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
# Both create .venv with the pinned dependencies first if it is missing or stale, and install the Debian
# packages they need when missing (as root; otherwise they stop with the command to run).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast docs bench bench-grading bench-regrade bench-report pins clean system-packages-demo system-packages-test \
	system-packages-hub hub hub-clean

# Grading kernels run under bubblewrap; the tests also drive Chromium and start a private PostgreSQL server.
DEMO_PACKAGES := bubblewrap
TEST_PACKAGES := bubblewrap chromium chromium-driver postgresql
# `make hub` and its browser test run JupyterHub's proxy, configurable-http-proxy, on Node.js.
HUB_PACKAGES := nodejs npm

# configurable-http-proxy from npm, every version pinned by tools/hub-proxy/package-lock.json, in the venv (not -g).
PROXY_DIR := $(VENV)/hub-proxy
PROXY := $(PROXY_DIR)/node_modules/.bin/configurable-http-proxy

# rfc3987-syntax comes in through jupyter-events' jsonschema[format-nongpl] extra, and jsonschema imports it when
# present: it compiles 39 lark grammars at import, 2-3 CPU-seconds added to every nbgrader command, grading worker
# and Jupyter server start (measured: `import nbformat, nbgrader.apps` 5.0 s user with it, 2.1 s without). Without
# it jsonschema only stops checking the "iri" and "iri-reference" string formats (uri is still checked, by
# rfc3986-validator), which no schema of nbformat, nbgrader or jupyter-events uses.
$(STAMP): requirements.txt constraints.txt pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check pip==26.3 setuptools==84.2.1 wheel==0.48.0
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip uninstall -q -y rfc3987-syntax
	# the distribution was called autograder before it became chainrule-grader: two would register the pytest plugin twice
	$(PY) -m pip uninstall -q -y autograder
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

system-packages-demo:
	@tools/system-packages.sh $(DEMO_PACKAGES)

system-packages-test:
	@tools/system-packages.sh $(TEST_PACKAGES)

system-packages-hub:
	@tools/system-packages.sh $(HUB_PACKAGES)

$(PROXY): tools/hub-proxy/package.json tools/hub-proxy/package-lock.json | $(STAMP)
	mkdir -p $(PROXY_DIR)
	cp tools/hub-proxy/package.json tools/hub-proxy/package-lock.json $(PROXY_DIR)/
	cd $(PROXY_DIR) && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(PROXY)

# The whole instructor path on the demo class: generate, submit, autograde, feedback, export.
demo: system-packages-demo $(STAMP)
	$(VENV)/bin/autograder demo

# A local JupyterHub for the demo course (docs/hub.md): system users created with generated passwords printed
# once, the course in the instructor's home, nbgrader's exchange in /srv/nbgrader/exchange. Ctrl-C stops it.
hub: system-packages-demo system-packages-hub $(STAMP) $(PROXY)
	$(VENV)/bin/autograder hub

# Remove the system users `make hub` created (and their homes): only users it created, listed in .hub/users.json.
hub-clean: $(STAMP)
	$(VENV)/bin/autograder hub --remove-users

# The whole suite: unit, doctests, end-to-end nbgrader runs and browser tests (the hub's too).
test: system-packages-test system-packages-hub $(STAMP) $(PROXY)
	$(PY) -m pytest

# Unit tests and doctests only (no kernels, no browser): seconds, for the edit loop.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e and not browser"

# The guides in docs/ as a site in site/ (git-ignored); --strict: a broken link or anchor fails (the suite runs it too).
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

# The answer engine vs naive sympy.simplify vs math-verify (installed for the benchmark only), same pairs, same run.
bench: $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -r benchmarks/requirements.txt -c constraints.txt
	$(PY) benchmarks/bench_equivalence.py

# Class grading: serial nbgrader autograde vs autograder grade --jobs 2 vs Dask, same run (about 10 min).
bench-grading: $(STAMP)
	$(PY) benchmarks/bench_grading.py --count 200

# Regrading a class of 200 after a spec change (no kernels) vs autograding it again, same run (a few minutes).
bench-regrade: $(STAMP)
	$(PY) benchmarks/bench_regrade.py --count 200

bench-report: $(STAMP)
	$(PY) benchmarks/bench_report.py --count 1000

# Re-pin: resolve requirements.txt afresh and write the full transitive set.
pins:
	rm -rf .pins-venv && $(PYTHON) -m venv .pins-venv
	.pins-venv/bin/pip install -q -r requirements.txt
	.pins-venv/bin/pip freeze --exclude-editable > constraints.txt
	rm -rf .pins-venv

clean:
	rm -rf $(VENV) .pytest_cache
