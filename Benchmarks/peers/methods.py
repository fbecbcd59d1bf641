"""Each peer's way of computing the task (see task.py), from float64 (frames, channels) samples.

Every function returns band powers shaped (epochs, channels, bands). Libraries are imported
inside the functions, so a process that runs one peer loads only that peer.
"""
import subprocess

import numpy as np

from task import EPOCH_SECONDS, BANDS, epochs_view, integrate

# Epochs handed to scipy and MNE at once: bounds their temporaries (~70 MB of samples for
# W2) whatever the recording's length.
CHUNK_EPOCHS = 64


def scipy_bandpowers(samples, workload):
    """The reference: scipy.signal.welch with EEGKit's parameters, then the band sums."""
    from scipy import signal
    epochs = epochs_view(samples, workload)
    out = np.empty((workload.epochs, workload.channels, len(BANDS)))
    n = workload.nperseg
    for s in range(0, workload.epochs, CHUNK_EPOCHS):
        _, psd = signal.welch(epochs[s:s + CHUNK_EPOCHS], fs=workload.rate, window="hann", nperseg=n,
                              noverlap=n // 2, detrend="constant", scaling="density", average="mean", axis=-1)
        out[s:s + CHUNK_EPOCHS] = integrate(psd, workload.rate, n)
    return out


def mne_bandpowers(samples, workload):
    """mne.time_frequency.psd_array_welch with the same parameters (Hann instead of MNE's
    default Hamming, n_fft = n_per_seg = 2 s, 50 % overlap, remove_dc per segment)."""
    from mne.time_frequency import psd_array_welch
    epochs = epochs_view(samples, workload)
    out = np.empty((workload.epochs, workload.channels, len(BANDS)))
    n = workload.nperseg
    for s in range(0, workload.epochs, CHUNK_EPOCHS):
        psd, _ = psd_array_welch(epochs[s:s + CHUNK_EPOCHS], workload.rate, n_fft=n, n_overlap=n // 2, n_per_seg=n,
                                 window="hann", average="mean", remove_dc=True, output="power", verbose=False)
        out[s:s + CHUNK_EPOCHS] = integrate(psd, workload.rate, n)
    return out


# BrainFlow's conventions (DataHandler's get_psd / get_psd_welch / get_band_power, 5.23.0):
# - its HANNING window is 0.5 − 0.5·cos(2πi/N): periodic, the same as scipy's 'hann';
# - get_psd divides |X|² by fs·N, not by fs·Σw² (scipy's density scaling): undone below by
#   multiplying by N / Σw² (8/3 for a periodic Hann);
# - it removes no mean from a segment (scipy detrends each one): with a periodic Hann the
#   mean reaches only bins 0 and 1 (0 and 0.5 Hz here), below every band, so the bands do
#   not change in exact arithmetic;
# - get_psd_welch needs a power-of-two nfft: 2 s at 512 Hz (1024) is one, 2 s at 250 Hz
#   (500) is not — there each 2 s segment goes through get_psd (with DataFilter.detrend
#   CONSTANT first) and the periodograms are averaged here;
# - get_band_power integrates by the trapezoid rule over lo ≤ f ≤ hi plus half of the next
#   bin, not Σ PSD·df over lo ≤ f < hi; that cannot be undone from its result, so the band
#   sums are taken from BrainFlow's PSD (task.integrate) and get_band_power's own values are
#   checked separately (`brainflow_native_band_powers`).

def brainflow_scale(nperseg):
    """N / Σw² for BrainFlow's Hann window: turns its PSD into scipy's density."""
    i = np.arange(nperseg)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * i / nperseg)
    return nperseg / float(np.sum(window * window))


def brainflow_welch_refusal(workload):
    """Why get_psd_welch cannot take this workload's segment length, or None when it can."""
    from brainflow.data_filter import DataFilter, WindowOperations
    from brainflow.exit_codes import BrainFlowError
    DataFilter.disable_data_logger()
    try:
        DataFilter.get_psd_welch(np.zeros(workload.epoch_frames), workload.nperseg, workload.nperseg // 2,
                                 workload.rate, WindowOperations.HANNING.value)
        return None
    except BrainFlowError as error:
        return (f"get_psd_welch refuses nfft={workload.nperseg} (it needs a power of two; "
                f"BrainFlow: {error}); each segment went through get_psd instead")


def brainflow_psds(samples, workload):
    """BrainFlow's per-epoch PSDs, scaled to scipy's density: yields (channels, bins) per epoch."""
    from brainflow.data_filter import DataFilter, DetrendOperations, WindowOperations
    DataFilter.disable_data_logger()
    n, step, rate = workload.nperseg, workload.nperseg // 2, workload.rate
    hann, constant = WindowOperations.HANNING.value, DetrendOperations.CONSTANT.value
    scale = brainflow_scale(n)
    use_welch = (n & (n - 1)) == 0
    segments = (workload.epoch_frames - step) // step
    for e in range(workload.epochs):
        epoch = np.ascontiguousarray(samples[e * workload.epoch_frames:(e + 1) * workload.epoch_frames].T)
        psd = np.empty((workload.channels, n // 2 + 1))
        for c in range(workload.channels):
            if use_welch:
                psd[c] = DataFilter.get_psd_welch(epoch[c], n, step, rate, hann)[0]
                continue
            psd[c] = 0.0
            for s in range(segments):
                segment = epoch[c, s * step:s * step + n].copy()
                DataFilter.detrend(segment, constant)
                psd[c] += DataFilter.get_psd(segment, rate, hann)[0]
            psd[c] /= segments
        yield psd * scale


def brainflow_bandpowers(samples, workload):
    """BrainFlow's PSD (conventions undone, above), band sums by the task's rule."""
    out = np.empty((workload.epochs, workload.channels, len(BANDS)))
    for e, psd in enumerate(brainflow_psds(samples, workload)):
        out[e] = integrate(psd, workload.rate, workload.nperseg)
    return out


def brainflow_native_band_powers(samples, workload):
    """get_band_power's own values (trapezoid rule) on the same scaled PSDs: to show how far
    its integration rule is from the task's; not expected to agree."""
    from brainflow.data_filter import DataFilter
    freqs = np.fft.rfftfreq(workload.nperseg, 1.0 / workload.rate)
    out = np.empty((workload.epochs, workload.channels, len(BANDS)))
    for e, psd in enumerate(brainflow_psds(samples, workload)):
        for c in range(workload.channels):
            row = np.ascontiguousarray(psd[c])
            out[e, c] = [DataFilter.get_band_power((row, freqs), lo, hi) for _, lo, hi in BANDS]
    return out


PEERS = {"scipy": scipy_bandpowers, "MNE": mne_bandpowers, "BrainFlow": brainflow_bandpowers}


def eegkit_command(eeg, data_path, out_path, workload):
    """`eeg bandpower` on the float32 file, per-epoch CSV written to `out_path`."""
    return [eeg, "bandpower", "--input", str(data_path), "--rate", str(workload.rate),
            "--channel-count", str(workload.channels), "--epoch", f"{EPOCH_SECONDS}s",
            "--format", "csv", "--out", str(out_path)]


def run_eegkit(eeg, data_path, out_path, workload):
    """Runs `eeg bandpower`; raises with its standard error when it fails."""
    result = subprocess.run(eegkit_command(eeg, data_path, out_path, workload), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"eeg bandpower exited {result.returncode}: {result.stderr.strip()}")
