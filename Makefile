# EEGKit's set-up and test entry points. `make demo` and `make test` work on a fresh
# Debian machine that has only Swift: they install what is missing first.

SWIFT ?= swift
# System packages the build and the tests need (checked with dpkg, installed only when
# missing; sudo is used when not root). umockdev replays USB captures through libusb for
# the Cyton driver's tests; python3-gi and its UMockdev bindings run a dynamic device.
APT_PACKAGES := pkg-config libfftw3-dev libusb-1.0-0-dev umockdev python3-gi gir1.2-umockdev-1.0 strace
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup python-deps build demo test test-unit test-tsan test-asan fuzz fuzz-smoke bench bench-deps bench-build clean

all: build dist

setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "== installing system packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The EDF readers other labs use, for the interop tests (files EEGKit writes must read
# the same in them).
PYTHON ?= python3
python-deps:
	@$(PYTHON) -c "import pyedflib, edfio" 2>/dev/null || { \
		echo "== installing pyedflib and edfio (pip)"; \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pyedflib edfio; }

# The Swift runtime is linked statically (Debian packages none) and with no $ORIGIN
# run path, so the binary runs wherever it is installed: see "Installing" below.
build: setup
	$(SWIFT) build -c release --product eeg --static-swift-stdlib --disable-local-rpath

# The main job, end to end: the built-in simulated headset at 20 × real time for 3 minutes of
# device time (~9 s): a minute of calibration (attention empty, calibration → 1), then 30 s
# focused and 30 s relaxed, twice; one row every 5 s (time, engagement, attention,
# relaxation score, calibration) as the attention score rises and falls. Then band powers
# of a real EEG recording (Fixtures/eeg, see its NOTICE), then the DSP core's speed.
demo: build
	.build/release/eeg stream --device sim --speed 20 --duration 3m --format csv \
		| awk -F, -v OFS=, 'NR == 1 || $$1 % 5 == 0 { print $$1, $$3, $$7, $$8, $$10; fflush() }'
	.build/release/eeg bandpower --input Fixtures/eeg/libgdf_mi128.f32 --rate 128 --channel-count 3 \
		--labels C3,Cz,C4 --format table
	.build/release/eeg bench --duration 2m

# Every test: the unit and integration tests, the concurrency tests again under
# ThreadSanitizer, the whole suite again under AddressSanitizer, and a short run of every
# fuzz target.
test: setup python-deps interop-deps setup-slurm test-unit test-tsan test-asan fuzz-smoke test-install


# A virtual environment at $(1) with the pinned packages of $(2), for $(3); python3-venv
# is installed with apt when Debian's Python lacks it. Touches the target when done.
define python-venv
$(PYTHON) -m venv $(1) || { \
	echo "== installing python3-venv (apt) for $(3)"; rm -rf $(1); \
	$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends python3-venv && \
	$(PYTHON) -m venv $(1); }
$(1)/bin/python -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r $(2)
touch $@
endef

# The interop tests' peers (liblsl through pylsl and mne-lsl, LabRecorder, pyxdf, BrainFlow)
# live in a virtual environment under the build folder; the tests look for
# .build-interop/venv/bin/python and skip visibly (an issue under CI=true) without it.
INTEROP_VENV := .build-interop/venv
.PHONY: interop-deps
interop-deps: $(INTEROP_VENV)/.installed

$(INTEROP_VENV)/.installed: Tests/interop/requirements.txt
	$(call python-venv,$(INTEROP_VENV),Tests/interop/requirements.txt,the interop tests)
# The real-Slurm test (SlurmClusterTests, issue 14) runs a one-node cluster from Debian's
# slurm-wlm and munge: installed here when missing, for `make test` only. The test starts
# and stops its own munged, slurmctld and slurmd (on 127.0.0.1, in a temporary folder);
# without root or these packages it prints a skip (and fails under CI=true).
SLURM_PACKAGES := slurm-wlm munge
.PHONY: setup-slurm
setup-slurm:
	@$(MAKE) --no-print-directory setup APT_PACKAGES="$(SLURM_PACKAGES)"

test-unit:
	$(SWIFT) test

test-tsan:
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter "FrameRingStressTests|FrameRingSemanticsTests|CytonDriverLinkTests|CytonDriverTests|RawCaptureTests|RawCaptureWriteTests|HotplugWakeTests|DriverSupervisorTests|FrameLedgerTests|RingOverflowTests|ShardEventPipeTests|LSLHostilePeerTests|LSLOutletInteropTests|LSLPublisherWakeTests"

# Every test again with AddressSanitizer (the `eeg` processes the tests start are the
# sanitized build too).
test-asan:
	EEGKIT_SANITIZER=address LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp:print_suppressions=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan

# libFuzzer targets (Fuzz/): `make fuzz` runs each for FUZZ_SECONDS from its committed
# seeds; `make fuzz-smoke` (part of `make test`) runs each briefly. Findings are kept in
# .build-fuzz/findings/.
FUZZ_SECONDS ?= 300
fuzz: setup
	Fuzz/run $(FUZZ_SECONDS)

fuzz-smoke: setup
	Fuzz/run 20

# Benchmarks: release builds, Swift measured against C references (and EDF reading
# against MNE) in the same run.
bench: setup bench-deps build
	cd Benchmarks && $(SWIFT) build -c release --product cref-eeg
	cd Benchmarks && $(SWIFT) run -c release compare --eeg $(CURDIR)/.build/release/eeg
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --no-progress

bench-deps:
	@$(PYTHON) -c "import mne" 2>/dev/null || { \
		echo "== installing MNE (pip) for the EDF reading comparison"; \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore mne; }

bench-build: setup
	cd Benchmarks && $(SWIFT) build -c release

# The peers table (issue 11 goal 5): the same band-power task (W1 8 ch × 1 h × 250 Hz,
# W2 64 ch × 1 h × 512 Hz; 4 s epochs, Welch 2 s Hann 50 %, five bands) in scipy, MNE,
# BrainFlow and EEGKit, each checked against scipy to 1e-4 and timed (best of PEERS_RUNS,
# with the spread). The peers are pip-installed at pinned versions into a virtual
# environment under .build-peers/, never into the system Python; data and output go there too.
PEERS_DIR := .build-peers
PEERS_VENV := $(PEERS_DIR)/venv
PEERS_RUNS ?= 3
.PHONY: bench-peers
bench-peers: build $(PEERS_VENV)/.installed
	$(PEERS_VENV)/bin/python Benchmarks/peers/peers.py --eeg $(CURDIR)/.build/release/eeg \
		--work $(CURDIR)/$(PEERS_DIR) --runs $(PEERS_RUNS)

$(PEERS_VENV)/.installed: Benchmarks/peers/requirements.txt
	$(call python-venv,$(PEERS_VENV),Benchmarks/peers/requirements.txt,the peers)

clean:
	rm -rf .build .build-interop .build-tsan .build-asan .build-fuzz Benchmarks/.build Fuzz/.build
	rm -f eegkit_*.deb

# ---- Installing (issue 15) -------------------------------------------------------------
# `make && sudo make install` (GNU conventions: PREFIX, default /usr/local, and DESTDIR),
# `sudo make uninstall`, and `make deb` for eegkit_VERSION_ARCH.deb. What is installed is
# staged in .build/dist by `make dist`, from the release binary itself: the stripped
# binary, manual pages from its commands (packaging/man-pages), its completion scripts
# and its udev rules. `make deb` is `make install DESTDIR=… PREFIX=/usr` plus Debian's
# documentation and control files (packaging/deb). `make test-install` checks all of it.
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MAN1DIR = $(PREFIX)/share/man/man1
BASH_COMPLETION_DIR = $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads /usr/share/zsh/vendor-completions and /usr/local/share/zsh/site-functions.
ZSH_COMPLETION_DIR = $(if $(filter /usr,$(PREFIX)),/usr/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
FISH_COMPLETION_DIR = $(PREFIX)/share/fish/vendor_completions.d
# udev reads no rules under /usr/local: a /usr/local install puts them in /etc, and says so.
UDEV_RULES_DIR = $(if $(filter /usr/local,$(PREFIX)),/etc/udev/rules.d,$(PREFIX)/lib/udev/rules.d)
VERSION := $(shell sed -n 's/^ *public static let number = "\(.*\)"$$/\1/p' Sources/EEGKit/Version/EEGKitVersion.swift)
DIST := .build/dist
# The pages' date: the last commit's, so a commit always gives the same pages.
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null | grep . || date -u +%F)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB := eegkit_$(VERSION)_$(DEB_ARCH).deb
DEB_MAINTAINER = EEGKit developers <dev@eegkit.invalid>
# Installed by `make setup` when missing: `make deb` needs dpkg-dev (dpkg-shlibdeps), and
# `make test-install` the package checker, a second manual linter and the three shells
# whose completion loaders it drives.
INSTALL_TEST_PACKAGES := lintian mandoc man-db bash-completion zsh fish

.PHONY: dist install uninstall deb test-install

# bash-completion sources its scripts, so the bash one loses its #! line (lintian:
# bash-completion-with-hashbang).
dist: build
	$(SWIFT) build --product generate-manual
	rm -rf $(DIST) && mkdir -p $(DIST)/man $(DIST)/completions
	strip --remove-section=.comment --remove-section=.note -o $(DIST)/eeg .build/release/eeg
	packaging/man-pages .build/release/eeg "$$($(SWIFT) build --show-bin-path)/generate-manual" $(DIST)/man $(MAN_DATE)
	$(DIST)/eeg --generate-completion-script bash | sed '1{/^#!/d}' > $(DIST)/completions/eeg
	$(DIST)/eeg --generate-completion-script zsh > $(DIST)/completions/_eeg
	$(DIST)/eeg --generate-completion-script fish > $(DIST)/completions/eeg.fish
	$(DIST)/eeg udev-rules > $(DIST)/60-eegkit.rules
	touch $(DIST)/.complete

# Built once if missing, so `sudo make install` after `make` needs no Swift on root's PATH.
$(DIST)/.complete:
	$(MAKE) dist

install: $(DIST)/.complete
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASH_COMPLETION_DIR) \
		$(DESTDIR)$(ZSH_COMPLETION_DIR) $(DESTDIR)$(FISH_COMPLETION_DIR) $(DESTDIR)$(UDEV_RULES_DIR)
	install -m 0755 $(DIST)/eeg $(DESTDIR)$(BINDIR)/eeg
	for page in $(DIST)/man/*.1; do \
		gzip -9n < $$page > $(DESTDIR)$(MAN1DIR)/$${page##*/}.gz && chmod 0644 $(DESTDIR)$(MAN1DIR)/$${page##*/}.gz || exit 1; \
	done
	install -m 0644 $(DIST)/completions/eeg $(DESTDIR)$(BASH_COMPLETION_DIR)/eeg
	install -m 0644 $(DIST)/completions/_eeg $(DESTDIR)$(ZSH_COMPLETION_DIR)/_eeg
	install -m 0644 $(DIST)/completions/eeg.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/eeg.fish
	install -m 0644 $(DIST)/60-eegkit.rules $(DESTDIR)$(UDEV_RULES_DIR)/60-eegkit.rules
	@case "$(UDEV_RULES_DIR)" in \
	/etc/udev/rules.d|/usr/lib/udev/rules.d|/lib/udev/rules.d) \
		echo "eeg: udev rules written to $(DESTDIR)$(UDEV_RULES_DIR)/60-eegkit.rules: run 'sudo udevadm control --reload-rules && sudo udevadm trigger', then unplug and replug the dongle";; \
	*) echo "eeg: udev rules written to $(DESTDIR)$(UDEV_RULES_DIR)/60-eegkit.rules, where udev does not look: copy them to /etc/udev/rules.d/, run 'sudo udevadm control --reload-rules && sudo udevadm trigger', then unplug and replug the dongle";; \
	esac

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/eeg $(DESTDIR)$(MAN1DIR)/eeg.1.gz $(DESTDIR)$(MAN1DIR)/eeg-*.1.gz \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/eeg $(DESTDIR)$(ZSH_COMPLETION_DIR)/_eeg \
		$(DESTDIR)$(FISH_COMPLETION_DIR)/eeg.fish $(DESTDIR)$(UDEV_RULES_DIR)/60-eegkit.rules
	@echo "eeg: removed; run 'sudo udevadm control --reload-rules' so udev forgets $(UDEV_RULES_DIR)/60-eegkit.rules"

deb: dist
	@$(MAKE) --no-print-directory setup APT_PACKAGES="dpkg-dev"
	rm -rf .build/deb
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/.build/deb/root PREFIX=/usr > /dev/null
	packaging/deb/build .build/deb/root $(VERSION) $(DEB_ARCH) "$(DEB_MAINTAINER)" $(DEB)

# The install layout, the manual pages, the package (lintian, Depends) and, as root, the
# package installed into a scratch root (a real apt-get install and purge when CI=true).
test-install: setup
	@$(MAKE) --no-print-directory setup APT_PACKAGES="$(INSTALL_TEST_PACKAGES)"
	$(MAKE) --no-print-directory deb
	packaging/test-install $(DEB)
