# The two commands of ../shared/ARCHITECTURE.md §4: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | sha1sum | cut -c1-12)

# Development defaults for `make run` only (tests set their own); each can be overridden
# from the environment.
run: export WA_ALLOW_HTTP_WEBHOOKS ?= 1
run: export WA_KEY_FILE ?= $(CURDIR)/var/keys/master.key
run: export SANDBOX_STATE_FILE ?= $(CURDIR)/var/sandbox/state.json
# Plain HTTP beside HTTPS, for the README's walkthrough on loopback (WA_API_HOST's default).
run: export WA_ALLOW_HTTP ?= $(if $(filter 127.% localhost ::1,$(WA_API_HOST)),1,)
# The egress policy (docs/design.md "Egress policy") refuses loopback: `make run` allows
# only the webhook sink of the README's walkthrough (sandbox.webhook_sink, port 8080),
# plus whatever WA_EGRESS_ALLOW says in the environment.
comma := ,
WEBHOOK_SINK := 127.0.0.1:8080
run: export WA_EGRESS_ALLOW := $(WEBHOOK_SINK)$(if $(WA_EGRESS_ALLOW),$(comma)$(WA_EGRESS_ALLOW))
WA_API_HOST ?= 127.0.0.1
WA_API_PORT ?= 9090
WA_API_HTTPS_PORT ?= 9443
# Members of the local MongoDB replica set (`make run MONGO_MEMBERS=3` for production's shape).
MONGO_MEMBERS ?= 1

.PHONY: install run test test-unit chaos bench lint clean

install: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/python -m infra.ensure_packages
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install
	@mkdir -p var/sandbox
	@echo "API: http://$(WA_API_HOST):$(WA_API_PORT) and https://$(WA_API_HOST):$(WA_API_HTTPS_PORT)   sandbox network: http://127.0.0.1:9400"
	@echo "First login: curl -X POST -u admin:secret -H 'Content-Type: application/json' \\"
	@echo "  -d '{\"new_password\": \"<8-64 chars, upper, lower, digit, special>\"}' http://$(WA_API_HOST):$(WA_API_PORT)/v1/users/login"
	PATH=$(BIN):$$PATH $(BIN)/python -m infra.local_servers run --dir var --mongo-members $(MONGO_MEMBERS) -- $(BIN)/honcho start

# tests/chaos is left out by pyproject.toml's addopts (--ignore) and has its own target.
test: install
	PATH=$(BIN):$$PATH $(BIN)/python -m pytest tests

# The fast lane: pure and in-process tests only (tests/unit), no servers started.
test-unit: install
	PATH=$(BIN):$$PATH $(BIN)/python -m pytest tests/unit

# Faults during bursts through the real processes (tests/chaos): one line per scenario
# in var/ci/chaos-summary.txt, echoed at the end; each scenario's logs under var/ci/chaos/.
CHAOS_SUMMARY := $(CURDIR)/var/ci/chaos-summary.txt
chaos: install
	@mkdir -p var/ci && rm -f $(CHAOS_SUMMARY)
	PATH=$(BIN):$$PATH CHAOS_SUMMARY=$(CHAOS_SUMMARY) $(BIN)/python -m pytest tests/chaos -p no:cacheprovider \
		-q -s --basetemp=$(CURDIR)/var/ci/chaos; status=$$?; \
		echo "--- chaos summary ($(CHAOS_SUMMARY))"; cat $(CHAOS_SUMMARY) 2>/dev/null; exit $$status

bench: install
	PATH=$(BIN):$$PATH $(BIN)/python -m bench.end_to_end

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy services sandbox

clean:
	rm -rf var/ci .pytest_cache
