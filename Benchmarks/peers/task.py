"""The band-power task every peer performs, and the checks on their answers.

Imports numpy alone (scipy only inside `write_signal`), so the agreement check can be
unit-tested with nothing but numpy installed.

The task is what `eeg bandpower --epoch 4s` reports per epoch (DESIGN.md, numerical
contracts; Sources/EEGDSP/Welch.swift, Bands.swift):
- consecutive, non-overlapping 4 s epochs; a final partial epoch is left out;
- per epoch and channel, scipy.signal.welch(x, fs, window='hann' (periodic),
  nperseg=2 s, noverlap=nperseg // 2, detrend='constant', scaling='density',
  average='mean'), one-sided, every bin but DC and Nyquist doubled;
- per band, sum(PSD[k] for lo <= f_k < hi) * df, with f_k = numpy's rfftfreq, df = fs / nperseg;
- bands delta [1,4), theta [4,8), alpha [8,13), beta [13,30), gamma [30,45) Hz.
"""
import csv
import io
from dataclasses import dataclass

import numpy as np

BANDS = (("delta", 1.0, 4.0), ("theta", 4.0, 8.0), ("alpha", 8.0, 13.0), ("beta", 13.0, 30.0), ("gamma", 30.0, 45.0))
BAND_NAMES = tuple(name for name, _, _ in BANDS)
TOLERANCE = 1e-4
EPOCH_SECONDS = 4
SEGMENT_SECONDS = 2


@dataclass(frozen=True)
class Workload:
    """A recording shape: `channels` channels at `rate` Hz for `seconds`, made from `seed`."""
    name: str
    channels: int
    rate: int
    seconds: int
    seed: int

    @property
    def frames(self):
        return self.rate * self.seconds

    @property
    def nperseg(self):
        return SEGMENT_SECONDS * self.rate

    @property
    def epoch_frames(self):
        return EPOCH_SECONDS * self.rate

    @property
    def epochs(self):
        return self.frames // self.epoch_frames

    @property
    def samples(self):
        """Samples analysed (every channel of every whole epoch)."""
        return self.epochs * self.epoch_frames * self.channels

    @property
    def file_name(self):
        return f"{self.name}-{self.channels}ch-{self.rate}Hz-{self.seconds}s-seed{self.seed}.f32"


W1 = Workload("W1", 8, 250, 3600, 1)
W2 = Workload("W2", 64, 512, 3600, 2)


def band_slices(rate, nperseg):
    """The bins of each band, [lo, hi) on numpy's rfftfreq grid (EEGKit's rule), as slices."""
    freqs = np.fft.rfftfreq(nperseg, 1.0 / rate)
    slices = []
    for name, lo, hi in BANDS:
        bins = np.nonzero((freqs >= lo) & (freqs < hi))[0]
        if len(bins) == 0:
            raise ValueError(f"band {name} [{lo}, {hi}) holds no bin at {rate} Hz with nperseg {nperseg}")
        slices.append(slice(int(bins[0]), int(bins[-1]) + 1))
    return slices


def integrate(psd, rate, nperseg):
    """Band powers (..., bands) of one-sided densities (..., bins): sum over [lo, hi) times df."""
    df = rate / nperseg
    return np.stack([psd[..., s].sum(axis=-1) * df for s in band_slices(rate, nperseg)], axis=-1)


def epochs_view(samples, workload):
    """(epochs, channels, epoch_frames) view of interleaved (frames, channels) samples."""
    e, n, c = workload.epochs, workload.epoch_frames, workload.channels
    return samples[: e * n].reshape(e, n, c).transpose(0, 2, 1)


def write_signal(path, workload):
    """Writes `workload` as little-endian float32 frames: a seeded synthetic EEG-like signal.

    Per channel: AR(1) background (a 1/f-like slope), a 10 Hz alpha rhythm whose amplitude
    drifts slowly, weaker 6 Hz theta and 20 Hz beta, 50 Hz line noise and a DC offset of
    up to ±500 µV (as raw boards carry). numpy's PCG64 generator from `workload.seed`.
    """
    from scipy import signal
    rng = np.random.default_rng(workload.seed)
    t = np.arange(workload.frames) / workload.rate
    frames = np.empty((workload.frames, workload.channels), dtype="<f4")
    for c in range(workload.channels):
        background = signal.lfilter([1.0], [1.0, -0.95], rng.standard_normal(workload.frames) * 4.0)
        alpha = rng.uniform(8, 20) * (1 + 0.5 * np.sin(2 * np.pi * 0.03 * t + rng.uniform(0, 6.3)))
        x = background + alpha * np.sin(2 * np.pi * 10.2 * t + rng.uniform(0, 6.3))
        x += rng.uniform(2, 6) * np.sin(2 * np.pi * 6.1 * t + rng.uniform(0, 6.3))
        x += rng.uniform(1, 4) * np.sin(2 * np.pi * 20.3 * t + rng.uniform(0, 6.3))
        x += 3.0 * np.sin(2 * np.pi * 50.0 * t) + rng.uniform(-500, 500)
        frames[:, c] = x
    frames.tofile(path)


def load(path, workload):
    """The file's samples as float64 (frames, channels): every peer computes in double."""
    return np.fromfile(path, dtype="<f4").reshape(-1, workload.channels).astype(np.float64)


def parse_eegkit_csv(text, workload):
    """The per-epoch absolute band powers of `eeg bandpower --format csv`, (epochs, channels, bands).

    Raises ValueError when the header, the channel order (ch1..chN), the epoch starts or
    the number of epochs are not what `workload` implies.
    """
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    if header[:3 + len(BANDS)] != ["scope", "start_s", "channel", *BAND_NAMES]:
        raise ValueError(f"unexpected CSV header: {header[:8]}")
    labels = [f"ch{c + 1}" for c in range(workload.channels)]
    values = [row for row in rows if row and row[0] == "epoch"]
    if len(values) != workload.epochs * workload.channels:
        raise ValueError(f"{len(values)} epoch rows, expected {workload.epochs} epochs × {workload.channels} channels")
    out = np.empty((workload.epochs, workload.channels, len(BANDS)))
    for i, row in enumerate(values):
        e, c = divmod(i, workload.channels)
        if row[2] != labels[c] or float(row[1]) != e * EPOCH_SECONDS:
            raise ValueError(f"row {i + 2}: epoch {row[1]} channel {row[2]}, expected {e * EPOCH_SECONDS} {labels[c]}")
        out[e, c] = [float(v) for v in row[3:3 + len(BANDS)]]
    return out


@dataclass(frozen=True)
class Agreement:
    """How a peer's band powers compare with the reference's."""
    ok: bool
    worst: float
    where: str
    median: float = float("nan")

    def verdict(self, tolerance=TOLERANCE):
        return f"{'agrees' if self.ok else 'DISAGREES'} (worst {self.worst:.2e} {'≤' if self.ok else '>'} {tolerance:g}) at {self.where}"


def agreement(reference, peer, tolerance=TOLERANCE):
    """Worst |peer − ref| / |ref| over every band, epoch and channel (absolute where ref is 0).

    Fails on a shape mismatch, any non-finite value, or an error above `tolerance`.
    """
    reference, peer = np.asarray(reference, dtype=np.float64), np.asarray(peer, dtype=np.float64)
    if reference.shape != peer.shape:
        return Agreement(False, float("inf"), f"shape {peer.shape}, expected {reference.shape}")
    bad = ~np.isfinite(peer)
    if bad.any():
        return Agreement(False, float("inf"), "non-finite value at " + _place(np.argwhere(bad)[0]))
    magnitude = np.abs(reference)
    error = np.abs(peer - reference) / np.where(magnitude > 0, magnitude, 1.0)
    if error.size == 0:
        return Agreement(False, float("inf"), "no values")
    index = np.unravel_index(np.argmax(error), error.shape)
    worst = float(error[index])
    return Agreement(worst <= tolerance, worst, _place(index), float(np.median(error)))


def _place(index):
    e, c, b = (int(i) for i in index)
    return f"epoch {e} ({e * EPOCH_SECONDS} s), channel {c + 1}, {BAND_NAMES[b]}"
