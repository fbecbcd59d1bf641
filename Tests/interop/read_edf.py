#!/usr/bin/env python3
"""Reads an EDF/BDF file with other tools and prints what each of them sees, as JSON:
{reader: {"labels": [...], "rates": [...], "samples": [[...], ...], "annotations":
[[onset, duration, text], ...]}}. Used by EEGKit's interop tests; pyedflib reads EDF+ and
BDF+, edfio reads EDF+, MNE is used when installed."""
import json
import sys


def with_pyedflib(path):
    import pyedflib
    with pyedflib.EdfReader(path) as f:
        n = f.signals_in_file
        onsets, durations, texts = f.readAnnotations()
        return {
            "labels": [f.getLabel(i) for i in range(n)],
            "rates": [float(f.getSampleFrequency(i)) for i in range(n)],
            "samples": [f.readSignal(i).tolist() for i in range(n)],
            "annotations": [[float(o), float(d) if d >= 0 else None, str(t)] for o, d, t in zip(onsets, durations, texts)],
        }


def with_edfio(path):
    import edfio
    edf = edfio.read_edf(path)
    return {
        "labels": [s.label for s in edf.signals],
        "rates": [float(s.sampling_frequency) for s in edf.signals],
        "samples": [s.data.tolist() for s in edf.signals],
        "annotations": [[float(a.onset), float(a.duration) if a.duration is not None else None, a.text] for a in edf.annotations],
    }


def with_mne(path):
    import mne
    mne.set_log_level("ERROR")
    raw = mne.io.read_raw_bdf(path, preload=True) if path.lower().endswith(".bdf") else mne.io.read_raw_edf(path, preload=True)
    return {
        "labels": raw.ch_names,
        "rates": [float(raw.info["sfreq"])] * len(raw.ch_names),
        "samples": (raw.get_data() * 1e6).tolist(),
        "annotations": [[float(a["onset"]), float(a["duration"]) or None, a["description"]] for a in raw.annotations],
    }


def main():
    path = sys.argv[1]
    out = {"pyedflib": with_pyedflib(path)}
    if not path.lower().endswith(".bdf"):
        out["edfio"] = with_edfio(path)
    try:
        import mne  # noqa: F401
        out["mne"] = with_mne(path)
    except ImportError:
        pass
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
