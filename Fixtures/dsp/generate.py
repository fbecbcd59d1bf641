#!/usr/bin/env python3
"""Writes the scipy reference data the EEGDSP tests compare against.

Run from anywhere: `python3 Fixtures/dsp/generate.py` (needs numpy and scipy; the
Swift tests themselves never run Python). Rerun only when the cases change; the
output is deterministic for a given scipy version.

Outputs, beside this script:
  signals/*.f32     input signals: little-endian float32, interleaved frames
  outputs/*.f32     filter outputs (float32 of the float64 reference)
  welch.json        Welch PSD and band-power cases
  filters.json      Butterworth / notch SOS designs, sosfilt / sosfiltfilt cases
  detrend.json      scipy.signal.detrend cases
and ../eeg/libgdf_mi128.f32: the shared EDF recording's samples in µV (read by a
minimal EDF parser below) so the DSP can be checked on real EEG before an EDF reader
exists in EEGKit.
"""
import json
import os
import struct

import numpy as np
import scipy
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20261126)
BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30), "gamma": (30, 45)}


def write_f32(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.asarray(data, dtype="<f4").tofile(path)
    return rel


def eeg_like(fs, seconds, channels):
    """1/f background, a 10 Hz alpha rhythm, 50 Hz line noise, a DC offset, blinks."""
    n = int(fs * seconds)
    out = np.empty((n, channels))
    t = np.arange(n) / fs
    for c in range(channels):
        white = RNG.standard_normal(n)
        spectrum = np.fft.rfft(white)
        f = np.fft.rfftfreq(n, 1 / fs)
        f[0] = f[1]
        pink = np.fft.irfft(spectrum / np.sqrt(f), n)
        pink *= 10 / pink.std()
        alpha = (6 + 2 * c) * np.sin(2 * np.pi * (9.5 + 0.5 * c) * t + c)
        line = 3 * np.sin(2 * np.pi * 50 * t)
        blinks = np.zeros(n)
        for start in RNG.integers(0, max(1, n - int(0.3 * fs)), size=max(1, int(seconds // 5))):
            width = int(0.3 * fs)
            blinks[start:start + width] += 150 * np.hanning(width)[: len(blinks[start:start + width])]
        out[:, c] = pink + alpha + line + blinks + 800 * (c + 1)  # raw boards carry DC
    return out


def band_powers(f, pxx):
    df = f[1] - f[0]
    return {name: float(np.sum(pxx[(f >= lo) & (f < hi)]) * df) for name, (lo, hi) in BANDS.items()}


def welch_cases():
    cases = []
    specs = [
        # (fs, seconds, channels, kind, nperseg, noverlap, window, detrend)
        (128, 20, 2, "eeg", 256, None, "hann", "constant"),
        (250, 60, 3, "eeg", 500, None, "hann", "constant"),
        (256, 30, 2, "eeg", 512, None, "hann", "constant"),
        (500, 20, 2, "eeg", 1000, None, "hann", "constant"),
        (512, 20, 1, "eeg", 1024, None, "hann", "constant"),
        (1000, 30, 2, "eeg", 2000, None, "hann", "constant"),
        (250, 10, 1, "random", 251, None, "hann", "constant"),      # odd nperseg
        (250, 10, 1, "random", 125, 100, "hann", "constant"),       # odd, custom overlap
        (256, 8, 2, "eeg", 256, 0, "hamming", "constant"),
        (256, 8, 2, "eeg", 256, 64, "blackman", "constant"),
        (256, 8, 2, "eeg", 256, None, "boxcar", "constant"),
        (250, 8, 2, "eeg", 500, None, "hann", "linear"),
        (250, 8, 1, "random", 128, None, "hann", False),
        (250, 2, 1, "eeg", 500, None, "hann", "constant"),         # short: exactly one segment
        (250, 2.004, 1, "eeg", 500, None, "hann", "constant"),     # one segment and a bit
        (1000, 3, 1, "random", 999, 500, "hamming", "constant"),
    ]
    for i, (fs, seconds, channels, kind, nperseg, noverlap, window, detrend) in enumerate(specs):
        if kind == "eeg":
            x = eeg_like(fs, seconds, channels)
        else:
            x = RNG.standard_normal((int(fs * seconds), channels)) * 20
        x = x.astype(np.float32)
        name = f"welch{i:02d}_{fs}hz_{kind}"
        rel = write_f32(f"signals/{name}.f32", x)
        xd = x.astype(np.float64)
        f, pxx = signal.welch(xd, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap,
                              detrend=detrend, scaling="density", average="mean", axis=0)
        case = {
            "name": name, "signal": rel, "sample_rate": fs, "channels": channels, "frames": int(x.shape[0]),
            "nperseg": nperseg, "noverlap": noverlap if noverlap is not None else nperseg // 2,
            "window": {"boxcar": "rectangular"}.get(window, window),
            "detrend": detrend if detrend else "none",
            "freqs": f.tolist(),
            "psd": [pxx[:, c].tolist() for c in range(channels)],
        }
        if fs / 2 >= 45 and nperseg >= fs // 2:
            case["band_powers"] = [band_powers(f, pxx[:, c]) for c in range(channels)]
        cases.append(case)
    return cases


def filter_cases():
    fs_list = [128, 250, 256, 500, 1000]
    designs = []
    x_len = 3000
    for fs in fs_list:
        x = (eeg_like(fs, x_len / fs, 1)[:, 0]).astype(np.float32)
        rel = write_f32(f"signals/filter_{fs}hz.f32", x)
        xd = x.astype(np.float64)
        specs = [("bandpass", [1, 45], 4), ("bandpass", [0.5, 40], 2), ("lowpass", 30, 1),
                 ("lowpass", 40, 5), ("highpass", 1, 3), ("highpass", 0.5, 8), ("bandstop", [48, 52], 2),
                 ("bandpass", [8, 13], 6)]
        for btype, wn, order in specs:
            sos = signal.butter(order, wn, btype=btype, fs=fs, output="sos")
            name = f"butter_{btype}_{order}_{fs}hz"
            designs.append({
                "name": name, "kind": "butter", "btype": btype, "order": order,
                "cutoff": wn if isinstance(wn, list) else [wn], "sample_rate": fs,
                "sos": sos.tolist(), "signal": rel, "frames": x_len,
                "sosfilt": write_f32(f"outputs/{name}_sosfilt.f32", signal.sosfilt(sos, xd)),
                "sosfiltfilt": write_f32(f"outputs/{name}_sosfiltfilt.f32", signal.sosfiltfilt(sos, xd)),
                "range": float(xd.max() - xd.min()),
            })
        for line in (50, 60):
            if line >= fs / 2:
                continue
            b, a = signal.iirnotch(line, 30, fs=fs)
            sos = np.concatenate([b, a])[None, :]
            name = f"notch_{line}_{fs}hz"
            designs.append({
                "name": name, "kind": "notch", "frequency": line, "q": 30, "sample_rate": fs,
                "sos": sos.tolist(), "signal": rel, "frames": x_len,
                "sosfilt": write_f32(f"outputs/{name}_sosfilt.f32", signal.sosfilt(sos, xd)),
                "sosfiltfilt": write_f32(f"outputs/{name}_sosfiltfilt.f32", signal.sosfiltfilt(sos, xd)),
                "range": float(xd.max() - xd.min()),
            })
    return designs


def detrend_cases():
    x = (RNG.standard_normal(301) * 5 + np.linspace(100, 140, 301)).astype(np.float32)
    xd = x.astype(np.float64)
    return [{"input": x.tolist(),
             "constant": signal.detrend(xd, type="constant").tolist(),
             "linear": signal.detrend(xd, type="linear").tolist()}]


def read_edf(path):
    """Minimal EDF(+) reader (header + int16 records → µV), independent of EEGKit."""
    with open(path, "rb") as fh:
        raw = fh.read()
    ns = int(raw[252:256].decode().strip())
    n_records = int(raw[236:244].decode().strip())
    base = 256

    def field(width, offset):
        return [raw[base + offset + i * width: base + offset + (i + 1) * width].decode("latin-1").strip() for i in range(ns)]

    labels = field(16, 0)
    offs = 16 * ns + 80 * ns + 8 * ns
    pmin = [float(v) for v in field(8, offs)]
    pmax = [float(v) for v in field(8, offs + 8 * ns)]
    dmin = [float(v) for v in field(8, offs + 16 * ns)]
    dmax = [float(v) for v in field(8, offs + 24 * ns)]
    nsamp = [int(v) for v in field(8, offs + 32 * ns + 80 * ns)]
    header_bytes = 256 * (ns + 1)
    data = np.frombuffer(raw[header_bytes:], dtype="<i2")
    per_record = sum(nsamp)
    data = data[: n_records * per_record].reshape(n_records, per_record)
    channels = []
    start = 0
    for i in range(ns):
        block = data[:, start:start + nsamp[i]].reshape(-1).astype(np.float64)
        start += nsamp[i]
        if labels[i] == "EDF Annotations":
            continue
        gain = (pmax[i] - pmin[i]) / (dmax[i] - dmin[i])
        channels.append((block - dmin[i]) * gain + pmin[i])
    return np.stack(channels, axis=1)


def main():
    out = {"scipy": scipy.__version__, "numpy": np.__version__}
    for name, cases in (("welch", welch_cases()), ("filters", filter_cases()), ("detrend", detrend_cases())):
        with open(os.path.join(HERE, f"{name}.json"), "w") as fh:
            json.dump({"generated_by": "Fixtures/dsp/generate.py", **out, "cases": cases}, fh)
    edf = os.path.join(HERE, "..", "eeg", "libgdf_mi128.edf")
    samples = read_edf(edf)
    reference = json.load(open(os.path.join(HERE, "..", "eeg", "libgdf_mi128.json")))
    assert samples.shape[0] == reference["n_samples"], samples.shape
    assert np.allclose(samples.mean(axis=0), reference["per_channel_mean_uv"], rtol=1e-9)
    # float32 holds these quantised µV values to ~1e-6 relative; the band-power
    # comparison tolerance (1e-4) is far above that.
    write_f32("../eeg/libgdf_mi128.f32", samples)
    fs = reference["sampling_rate_hz"]
    window, hop, nperseg = int(4 * fs), int(0.25 * fs), int(2 * fs)

    def powers(block):
        f, pxx = signal.welch(block, fs=fs, window="hann", nperseg=nperseg, noverlap=nperseg // 2,
                              detrend="constant", scaling="density", average="mean", axis=0)
        return [band_powers(f, pxx[:, c]) for c in range(block.shape[1])]

    x = samples.astype(np.float32).astype(np.float64)
    sliding = [{"end_frame": end, "band_powers": powers(x[end - window:end])}
               for end in range(window, window + 40 * hop, hop)]
    epochs = [{"start_s": e * 4.0, "band_powers": powers(x[e * window:(e + 1) * window])}
              for e in range(x.shape[0] // window)]
    with open(os.path.join(HERE, "..", "eeg", "libgdf_mi128_windows.json"), "w") as fh:
        json.dump({"generated_by": "Fixtures/dsp/generate.py", **out, "window_s": 4, "hop_s": 0.25,
                   "nperseg": nperseg, "sliding": sliding, "epochs": epochs}, fh)
    live_bandpass(x, fs, out)


def live_bandpass(x, fs, out, band=(2.0, 30.0)):
    """`eeg replay --filter 2-30`: scipy's band powers of 4 s windows of the recording
    filtered causally from its first sample (sosfilt of butter(4, band, 'bandpass'),
    zero initial state), the filtered signal held as float32 as the live analyzer holds it."""
    fs_int = int(fs)
    window, hop, nperseg = 4 * fs_int, fs_int // 4, 2 * fs_int
    sos = signal.butter(4, band, btype="bandpass", fs=fs, output="sos")
    y = signal.sosfilt(sos, x, axis=0).astype(np.float32).astype(np.float64)

    def powers(block):
        f, pxx = signal.welch(block, fs=fs, window="hann", nperseg=nperseg, noverlap=nperseg // 2,
                              detrend="constant", scaling="density", average="mean", axis=0)
        return [band_powers(f, pxx[:, c]) for c in range(block.shape[1])]

    sliding = [{"end_frame": end, "band_powers": powers(y[end - window:end])}
               for end in range(window, window + 40 * hop, hop)]
    with open(os.path.join(HERE, "..", "eeg", "libgdf_mi128_live_2_30.json"), "w") as fh:
        json.dump({"generated_by": "Fixtures/dsp/generate.py (live_bandpass)", **out, "band_pass": list(band),
                   "window_s": 4, "hop_s": 0.25, "nperseg": nperseg, "sliding": sliding, "epochs": []}, fh)


if __name__ == "__main__":
    main()
