# procfile.systemd — the two commands of the README, and the pieces they are made of.
#   make demo   set up, boot a sandbox server, deploy the example app into it
#   make test   set up, run every test (unit, sanity, lint, molecule on real systemd)
# Both install what they need themselves and are safe to run again.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SANDBOX := $(PYTHON) tools/sandbox.py
COLLECTIONS := $(CURDIR)/.cache/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
DEMO_INVENTORY := .cache/demo-inventory.yml
# Plain output in CI logs.
ifdef CI
export NO_COLOR := 1
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
endif
MOLECULE_SCENARIOS ?= $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))

.PHONY: demo demo-check test test-readme test-compat test-systemd-range test-ansible-versions deps apt venv collection unit sanity lint changelog molecule mutation clean distclean sandbox-image
.DEFAULT_GOAL := help

help:
	@echo "make demo    deploy the example app into a local systemd sandbox server"
	@echo "make test    run all tests (unit, sanity, lint, molecule on booted systemd)"
	@echo "make test-readme   the README's commands, as printed, on a sandbox server"
	@echo "make test-compat   the role's tests on Debian bullseye and trixie (systemd 247, 257)"
	@echo "make test-systemd-range   the smoke scenario on bullseye and trixie (CI runs it)"
	@echo "make test-ansible-versions   unit tests and a real deploy on ansible-core 2.16 to 2.21"
	@echo "make clean   destroy every sandbox server (distclean: the caches and venv too)"

# ---------------------------------------------------------------- set-up

deps: apt venv collection

# Install only what is missing, so that a re-run does not touch apt at all.
apt:
	@missing=$$(grep -v '^#' apt-packages.txt | xargs -n1 | while read -r p; do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || echo "$$p"; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing $$missing"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The repository root is the collection; Ansible finds it through this symlink.
collection:
	@mkdir -p $(COLLECTIONS)/ansible_collections/procfile
	@ln -sfn $(CURDIR) $(COLLECTIONS)/ansible_collections/procfile/systemd

sandbox-image: apt
	$(SANDBOX) build

# The example app's packages (Flask, gunicorn, RQ, Redis, nginx in front), baked into a
# second image (the queue and proxy scenarios use the same set, so the same image).
DEMO_PACKAGES := python3-flask gunicorn python3-rq python3-redis redis-server nginx haproxy
DEMO_IMAGE := $(addprefix --extra=,$(DEMO_PACKAGES))
DEMO_SECRETS := .cache/demo-secrets.yml
DEMO_PLAY = $(BIN)/ansible-playbook -i $(DEMO_INVENTORY) -i examples/inventory/demo.yml -e @$(DEMO_SECRETS)

# ---------------------------------------------------------------- the main job

demo: deps apt
	$(SANDBOX) up demo $(DEMO_IMAGE)
	$(SANDBOX) inventory demo -o $(DEMO_INVENTORY)
	@# A Redis password of the demo's own, never committed.
	@[ -s $(DEMO_SECRETS) ] || (umask 077; $(PYTHON) -c 'import secrets; print("demo_redis_password: " + secrets.token_hex(16))' > $(DEMO_SECRETS))
	$(DEMO_PLAY) examples/playbooks/redis.yml
	$(DEMO_PLAY) playbooks/deploy.yml
	$(DEMO_PLAY) examples/playbooks/nginx.yml
	$(DEMO_PLAY) examples/playbooks/enqueue.yml
	@$(DEMO_PLAY) playbooks/deploy.yml --tags status
	@echo
	@echo "The example app runs in sandbox server 'demo'. Look around:"
	@echo "  $(SANDBOX) ssh demo                                 # a shell on the server"
	@echo "  $(SANDBOX) ssh demo systemctl list-units 'example*'"
	@echo "  $(SANDBOX) ssh demo journalctl -f -u 'example-*'"
	@echo "  curl http://127.0.0.1:8580/                             # web, through nginx"
	@echo "  $(DEMO_PLAY) playbooks/deploy.yml --tags status   # or pause, resume, logs, restart"
	@echo "  make clean                                              # destroy the sandbox"

# ---------------------------------------------------------------- tests

# Two lanes at once. The checks (unit, sanity, lint) use the controller's CPU and no
# server; the scenarios and the README test leave about a third of the two cores idle
# while they wait on systemd (measured: 65 % busy over the scale and operations tests),
# which is where the checks fit. On CI, one after the other took about 38 minutes, this
# way 34 (the budget is 30). Moving the fleet and proxy scenarios into the checks' lane
# too was measured at 32: the cores are then saturated (fleet's tests took 15 minutes
# instead of 9), so the load grew more than the time shrank. The checks' output goes to
# CHECKS_LOG and is printed whole once both lanes are done, so that neither lane's output
# is cut into the other's.
CHECKS_LOG := .cache/test-checks.log
test: deps sandbox-image
	@echo "make test: unit, sanity and lint run beside the scenarios (output in $(CHECKS_LOG), printed at the end)"
	@$(MAKE) --no-print-directory unit sanity lint > $(CHECKS_LOG) 2>&1 & checks=$$!; \
	  systems=0; $(MAKE) --no-print-directory molecule test-readme || systems=$$?; \
	  status=0; wait $$checks || status=$$?; \
	  echo "== unit, sanity and lint ($(CHECKS_LOG))"; cat $(CHECKS_LOG); \
	  if [ $$status -ne 0 ]; then echo "make test: unit, sanity or lint FAILED (above)" >&2; fi; \
	  if [ $$systems -ne 0 ]; then echo "make test: a molecule scenario or the README test FAILED (before the checks' output)" >&2; fi; \
	  [ $$status -eq 0 ] && [ $$systems -eq 0 ]
	@echo "make test: all tests passed"

unit:
	$(BIN)/pytest -q tests/unit tests/functional

sanity:
	tools/ansible_test_bootstrap.sh
	tools/sanity.sh

lint:
	$(BIN)/ansible-lint --profile production
	$(BIN)/python tools/changelog.py --check

# CHANGELOG.md and changelogs/changelog.yaml, from changelogs/fragments/ (one file per
# change, in a user's terms: see tools/changelog.py). Never edit CHANGELOG.md by hand.
changelog:
	$(BIN)/python tools/changelog.py

# Mutation testing (not part of `make test`): mutmut puts one small bug at a time into
# plugins/module_utils/ and runs the unit tests that call the function it changed; a
# mutant no test notices "survives". The collection is staged in $(MUTATION) as
# src/ansible_collections/procfile/systemd/ (see tests/mutation/setup.cfg, also for why
# safepath.py must stay out); the survivors land in $(MUTATION)/survivors.txt and the
# score is printed. Known survivors, harmless or gaps: tests/mutation/survivors.md.
MUTATION := .cache/mutation
MUTATION_SRC := $(MUTATION)/src/ansible_collections/procfile/systemd
mutation: deps $(VENV)/.mutation-installed
	rm -rf $(MUTATION)
	mkdir -p $(MUTATION_SRC)
	cp tests/mutation/setup.cfg $(MUTATION)/setup.cfg
	@# The files git knows, tracked or not (as tools/sanity.sh does).
	git ls-files -co --exclude-standard -z | xargs -0 -I{} find {} -maxdepth 0 -print0 2>/dev/null \
	  | tar --null -cf - -T - | tar -xf - -C $(MUTATION_SRC)
	cd $(MUTATION) && $(CURDIR)/$(BIN)/mutmut run --max-children $$(nproc) > run.log 2>&1 \
	  || { tail -c 3000 run.log; exit 1; }
	cd $(MUTATION) && $(CURDIR)/$(BIN)/mutmut export-cicd-stats >/dev/null \
	  && $(CURDIR)/$(BIN)/mutmut results > survivors.txt
	@$(PYTHON) tests/mutation/score.py $(MUTATION)/mutants/mutmut-cicd-stats.json

$(VENV)/.mutation-installed: requirements-mutation.txt $(VENV)/.installed
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-mutation.txt
	touch $@

# The servers up before the tests (a user's `demo`, say) are recorded and left alone:
# a failed scenario removes only the servers the tests made, and the tests must leave
# nothing of their own behind (servers, processes, mounts, cgroups, namespaces).
KEEP := .cache/sandbox-before-tests
molecule: sandbox-image
	$(SANDBOX) cleanup
	$(SANDBOX) list --names -o $(KEEP)
	@for s in $(MOLECULE_SCENARIOS); do echo "== molecule scenario $$s"; \
	  $(BIN)/molecule test -s $$s || { $(SANDBOX) down --all-but $(KEEP); exit 1; }; done
	$(SANDBOX) leftovers --keep-file $(KEEP)

# The README's commands as printed (tests/readme/run.py): build and install the collection
# into a project directory, then deploy, scale, status, logs, pause, resume and restart on
# a sandbox server of the test's own (README_TEST_SERVER, default `readme`: replaced if it
# exists, destroyed at the end). About 70 s. README_TEST_ARGS=--dry: syntax checks only.
README_TEST_ARGS ?=
test-readme: deps sandbox-image
	$(BIN)/python tests/readme/run.py $(README_TEST_ARGS)

# The role's scenario on the other Debian releases' systemd: bullseye (247) and trixie
# (257); `make test` covers bookworm (252). About 8 minutes per release.
COMPAT_SUITES ?= bullseye trixie
test-compat: deps apt
	$(SANDBOX) cleanup
	$(SANDBOX) list --names -o $(KEEP)
	@for suite in $(COMPAT_SUITES); do echo "== molecule scenario default on $$suite"; \
	  $(SANDBOX) build --suite $$suite; \
	  PROCFILE_SANDBOX_SUITE=$$suite $(BIN)/molecule test -s default || { $(SANDBOX) down --all-but $(KEEP); exit 1; }; done
	$(SANDBOX) leftovers --keep-file $(KEEP)

# The claimed systemd range in CI: the smoke scenario (the sandbox wiring, and the
# collection's interfaces to systemd where its versions differ: systemd-analyze verify's
# output, clean and refusing an unknown setting; template instances enabled across a
# reboot; the `systemctl show` properties the modules read; journalctl --output=json for
# --tags logs; the release unit's journal by invocation; --tags status) on bullseye
# (systemd 247) and trixie (257); `make test` runs it on bookworm (252), and
# `make test-compat` the whole default scenario on the other two. .ci/run runs it.
# Only the scenario's own servers (smoke-1, smoke-2) are touched: a failure destroys
# those, and the leftovers check at the end is about those alone (the demo, or a user's
# servers, may come and go meanwhile). Measured here, with other scenarios running beside
# it (load average 5 to 11 on two cores): smoke took 228 s on bullseye (531 s once, with
# four other scenarios and ansible-lint beside it), 263 s on trixie and 185 s on bookworm
# (before the collection's checks it took about 1 minute on CI);
# each release's image is a debootstrap once (trixie's took 49 s, about 240 MB), cached
# in /var/lib/procfile-sandbox after that.
RANGE_SUITES ?= bullseye trixie
RANGE_KEEP := .cache/sandbox-not-smoke
test-systemd-range: deps
	@for suite in $(RANGE_SUITES); do echo "== molecule scenario smoke on $$suite"; \
	  $(SANDBOX) build --suite $$suite >/dev/null; \
	  start=$$(date +%s); \
	  PROCFILE_SANDBOX_SUITE=$$suite $(BIN)/molecule test -s smoke \
	    || { $(BIN)/molecule destroy -s smoke >/dev/null 2>&1 || true; exit 1; }; \
	  echo "== smoke on $$suite passed in $$(( $$(date +%s) - start )) s"; done
	$(SANDBOX) list --names | { grep -v '^smoke-' || true; } > $(RANGE_KEEP)
	$(SANDBOX) leftovers --keep-file $(RANGE_KEEP)

# Every ansible-core minor the collection supports, 2.16 to 2.21: per version a virtualenv
# .cache/ansible-<version> (pinned by tests/ansible-versions/requirements-<version>.txt,
# 2.20 and 2.21 on Python 3.12), the unit tests, and deploy, idempotence, check mode, scale,
# pause/resume and status on a sandbox server of its own (compat-<version>).
# ANSIBLE_VERSIONS="2.16 2.21" runs only those.
ANSIBLE_VERSIONS ?=
test-ansible-versions: sandbox-image collection
	$(PYTHON) tests/ansible-versions/run.py $(ANSIBLE_VERSIONS)

# Is the demo still up and serving? Its boot id and instance PIDs, after one request
# through its web process (CI compares them before and after `make test`).
demo-check:
	@tools/demo_check.sh

SANDBOX_STATE := /var/lib/procfile-sandbox
clean:
	@echo "make clean: destroying every sandbox server: $$($(SANDBOX) list --names | xargs echo)"
	-$(SANDBOX) down --all
	$(SANDBOX) cleanup
	rm -rf build $(DEMO_SECRETS) $(DEMO_INVENTORY) $(KEEP)
	@echo "make clean: removed the servers, build/ and the demo's inventory and Redis password."
	@echo "Kept, to make the next run fast (make distclean removes them too):"
	@echo "  $(SANDBOX_STATE): rootfs images and .deb cache, $$(du -sh $(SANDBOX_STATE) 2>/dev/null | cut -f1)"
	@echo "  $(VENV): the Python tools, $$(du -sh $(VENV) 2>/dev/null | cut -f1); .cache/: collection link, test venvs"
	@echo "  the Debian packages of apt-packages.txt"

distclean: clean
	rm -rf $(SANDBOX_STATE) $(VENV) .cache
	@echo "make distclean: also removed $(SANDBOX_STATE), $(VENV) and .cache/ (apt packages stay)"
