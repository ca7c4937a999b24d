# Two commands for a fresh machine:
#   make run    installs into .venv and serves the browser app on a free local port
#   make test   installs into .venv (with test tools) and runs the test suite
VENV   := .venv
PY     := $(VENV)/bin/python
# Mesa 3.5 needs Python >= 3.12: take the first such interpreter on PATH or under pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null); do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; \
           done)

.PHONY: run test lint clean docs validation bench mutation mutation-retest mutation-clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found (install one, or run make PYTHON=/path/to/python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/abm viz

test: $(VENV)/.installed
	$(VENV)/bin/ruff check abm tests tools
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check abm tests tools
	$(VENV)/bin/ruff format --check abm tests tools

clean:
	rm -rf $(VENV) .pytest_cache mutants

# Refresh the generated tables in docs/ODD.md from the parameter schema and the metrics list.
docs: $(VENV)/.installed
	$(PY) -m abm.reports.odd_tables docs/ODD.md

# Re-run the long validation checks and rewrite docs/validation.md with its figures.
validation: $(VENV)/.installed
	$(PY) -m abm.reports.validation docs/validation.md

# Speed and memory at scale, with Mesa's Boltzmann example as the baseline (about 10 minutes).
bench: $(VENV)/.installed
	$(PY) -m abm.reports.bench --json docs/performance/bench.json --plot docs/performance/cost.png

# Mutation testing of the economy's core (docs/testing.md; not in CI: a whole run of the seven
# modules takes about ten minutes on 2 cores). mutmut ([tool.mutmut] in pyproject.toml) mutates
# ledger, market, households, workshops and the day (model, trading, entry), runs the economy's
# tests that call each mutated
# function, keeps the results in mutants/ and reuses them: a function whose code changed is
# tested anew, a survivor is not, even after new tests (make mutation-retest). Then the report
# in docs/testing.md and docs/mutation/survivors.json are rewritten.
#   make mutation MUTANTS='abm.economy.ledger.*'   one module (again); any mutmut name pattern
#   make mutation MUTATION_JOBS=1                  one test process (the default is 2)
#   make mutation-retest                           the survivors again, after new tests
#   make mutation-clean                            forget every result
MUTATION_JOBS ?= 2
MUTANTS ?=
# mutmut copies tests/ over mutants/tests on each run: clearing it first drops deleted tests.
mutation: $(VENV)/.installed
	rm -rf mutants/tests
	$(VENV)/bin/mutmut run --max-children $(MUTATION_JOBS) $(MUTANTS)
	$(PY) tools/mutation_report.py --write docs/testing.md

mutation-retest: $(VENV)/.installed
	rm -rf mutants/tests
	$(VENV)/bin/mutmut run --max-children $(MUTATION_JOBS) $$($(PY) tools/mutation_report.py --names)
	$(PY) tools/mutation_report.py --write docs/testing.md

mutation-clean:
	rm -rf mutants
