# EEGKit's set-up and test entry points. `make demo` and `make test` work on a fresh
# Debian machine that has only Swift: they install what is missing first.

SWIFT ?= swift
# System packages the build and the tests need (checked with dpkg, installed only when
# missing; sudo is used when not root). umockdev replays USB captures through libusb for
# the Cyton driver's tests; python3-gi and its UMockdev bindings run a dynamic device.
APT_PACKAGES := pkg-config libfftw3-dev libusb-1.0-0-dev umockdev python3-gi gir1.2-umockdev-1.0 strace
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup python-deps build demo test test-unit test-tsan test-asan fuzz fuzz-smoke bench bench-deps bench-build clean

all: build

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

build: setup
	$(SWIFT) build -c release --product eeg

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
test: setup python-deps setup-slurm test-unit test-tsan test-asan fuzz-smoke

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
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter "FrameRingStressTests|CytonDriverLinkTests|CytonDriverTests|RawCaptureTests|RawCaptureWriteTests|HotplugWakeTests|DriverSupervisorTests|FrameLedgerTests|RingOverflowTests"

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
	cd Benchmarks && $(SWIFT) run -c release compare --eeg $(CURDIR)/.build/release/eeg
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --no-progress

bench-deps:
	@$(PYTHON) -c "import mne" 2>/dev/null || { \
		echo "== installing MNE (pip) for the EDF reading comparison"; \
		$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore mne; }

bench-build: setup
	cd Benchmarks && $(SWIFT) build -c release

clean:
	rm -rf .build .build-tsan .build-asan .build-fuzz Benchmarks/.build Fuzz/.build
