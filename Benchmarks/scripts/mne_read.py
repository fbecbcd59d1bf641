#!/usr/bin/env python3
"""Times MNE reading an EDF into memory (read_raw_edf(preload=True)), best of 3, and
prints the seconds. Used by EEGKit's `make bench` beside EEGKit's own reader."""
import sys
import time

import mne

mne.set_log_level("ERROR")
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    raw = mne.io.read_raw_edf(sys.argv[1], preload=True)
    best = min(best, time.perf_counter() - start)
print(f"{best:.6f} {raw.get_data().shape[0]} {raw.n_times}")
