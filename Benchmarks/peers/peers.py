#!/usr/bin/env python3
"""EEGKit's peers table: the same band-power task in scipy, MNE, BrainFlow and EEGKit.

`make bench-peers` runs this in a virtual environment with the pinned peers
(requirements.txt). For each workload (W1: 8 ch × 1 h × 250 Hz, W2: 64 ch × 1 h × 512 Hz,
seeded synthetic EEG written once as float32) it checks every peer's per-epoch band
powers against scipy's to 1e-4 relative, then times each peer, best of N alternating
runs with the spread, and prints Markdown tables. Exits 1 when a peer that is expected to
agree does not.

    peers.py --eeg .build/release/eeg [--work .build-peers] [--runs 3] [--seconds 3600]
"""
import argparse
import dataclasses
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import methods
import task

HERE = Path(__file__).resolve().parent


@dataclasses.dataclass
class Row:
    """One timed way of running one peer on one workload."""
    peer: str
    mode: str          # "process", "load+compute" or "compute"
    measure: callable  # runs once; returns (wall seconds, CPU seconds)
    times: list = dataclasses.field(default_factory=list)
    cpu: list = dataclasses.field(default_factory=list)


def machine():
    """CPU model, cores, memory, load and versions, as Markdown lines."""
    info = Path("/proc/cpuinfo").read_text()
    model = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown")
    logical = info.count("processor\t:")
    memory = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    lines = [f"- CPU: {model}, {logical} logical cores (os.cpu_count {os.cpu_count()}, usable {len(os.sched_getaffinity(0))}), "
             f"{int(memory) / 2**20:.0f} GiB; {platform.system()} {platform.release()}",
             f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (a shared machine: figures are noisy)",
             f"- Python {platform.python_version()}, " + ", ".join(f"{n} {v}" for n, v in versions())]
    return lines


def versions():
    import importlib.metadata as meta
    return [(name, meta.version(name)) for name in ("numpy", "scipy", "mne", "brainflow")]


def ensure_data(work, workload):
    """The workload's float32 file under `work`, written once (generation is deterministic)."""
    path = work / "data" / workload.file_name
    if path.exists() and path.stat().st_size == workload.frames * workload.channels * 4:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    partial = path.with_suffix(".partial")
    task.write_signal(partial, workload)
    partial.rename(path)
    print(f"  wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s", flush=True)
    return path


def timed_process(command):
    """Wall seconds and the child's user+system CPU seconds of one process run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} exited {result.returncode}: {result.stderr.strip()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def rows_for(workload, data_path, samples, eeg, out_path, results):
    """The timed rows of one workload, in the order they alternate within a run."""
    def eegkit():
        return timed_process(methods.eegkit_command(eeg, data_path, out_path, workload))

    def python_process(peer):
        return lambda: timed_process([sys.executable, str(HERE / "peers.py"), "one", peer, workload.name,
                                      "--seconds", str(workload.seconds), "--data", str(data_path)])

    def in_process(peer, load):
        def run():
            start, cpu = time.perf_counter(), time.process_time()
            x = task.load(data_path, workload) if load else samples
            results[peer] = methods.PEERS[peer](x, workload)
            return time.perf_counter() - start, time.process_time() - cpu
        return run

    rows = [Row("EEGKit", "process", eegkit)]
    for peer in methods.PEERS:
        rows += [Row(peer, "process", python_process(peer)), Row(peer, "load+compute", in_process(peer, True)),
                 Row(peer, "compute", in_process(peer, False))]
    return rows


def measure(rows, runs):
    """Runs every row `runs` times, alternating rows within each run (noise spreads evenly)."""
    for r in range(runs):
        for row in rows:
            wall, cpu = row.measure()
            row.times.append(wall)
            row.cpu.append(cpu)
        print(f"  run {r + 1}/{runs} done", flush=True)


MODES = {
    ("EEGKit", "process"): "whole process: start, read float32, plan FFTW, per-epoch Welch (+ signal quality), "
                           "whole-input Welch, CSV written",
    "process": "whole process: interpreter start, imports, read float32, to float64, compute; nothing written",
    "load+compute": "in process: read the float32 file (page cache), to float64, compute",
    "compute": "in process: compute from float64 samples already in memory",
}


def check_agreement(workload, data_path, samples, reference, results, out_path):
    """Each peer against scipy: (label, method, Agreement or None, expected to agree, note)."""
    checks = [("scipy", "signal.welch (the reference, timed run vs first run)", task.agreement(reference, results["scipy"]), True, "")]
    try:
        eegkit = task.parse_eegkit_csv(Path(out_path).read_text(), workload)
        checks.append(("EEGKit", "eeg bandpower --epoch 4s (float32 FFTW)", task.agreement(reference, eegkit), True, ""))
    except (OSError, ValueError) as error:
        checks.append(("EEGKit", "eeg bandpower --epoch 4s", None, True, f"output unreadable: {error}"))
    checks.append(("MNE", "psd_array_welch", task.agreement(reference, results["MNE"]), True, ""))
    refusal = methods.brainflow_welch_refusal(workload)
    method = "get_psd per segment + mean" if refusal else "get_psd_welch"
    note = "PSD × N/Σw² (its fs·N scaling undone); " + (refusal or "no per-segment detrend (periodic Hann: no effect on bands ≥ 1 Hz)")
    checks.append(("BrainFlow", method + ", band sums as scipy's", task.agreement(reference, results["BrainFlow"]), True, note))
    native = methods.brainflow_native_band_powers(samples, workload)
    checks.append(("BrainFlow", "get_band_power (its own rule)", task.agreement(reference, native), False,
                   "trapezoid over lo ≤ f ≤ hi + half the next bin: a different integration rule, not undoable from its output"))
    return checks


def agreement_table(workload, checks):
    lines = [f"| {workload.name} peer | method | worst relative error | median | where (worst) | verdict |", "|---|---|---|---|---|---|"]
    failed = False
    for peer, method, result, expected, note in checks:
        if result is None:
            lines.append(f"| {peer} | {method} | – | – | – | **FAILED**: {note} |")
            failed = True
            continue
        if expected:
            verdict = "agrees (≤ 1e-4)" if result.ok else "**DISAGREES** (> 1e-4)"
            failed |= not result.ok
        else:
            verdict = "cannot match — " + note
        lines.append(f"| {peer} | {method} | {result.worst:.2e} | {result.median:.2e} | {result.where} | {verdict} |")
    notes = [f"- {peer} ({method}): {note}" for peer, method, result, expected, note in checks if expected and note and result]
    return lines + [""] + notes, failed


def timing_table(workload, rows):
    eegkit = next(r for r in rows if r.peer == "EEGKit")
    wall_reference, cpu_reference = min(eegkit.times), min(eegkit.cpu)
    lines = [f"| {workload.name} peer | what is timed | best wall s | wall spread (min–max) s | M samples/s | "
             "wall ÷ EEGKit process | best CPU s | CPU ÷ EEGKit process |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        best, cpu = min(row.times), min(row.cpu)
        mode = MODES.get((row.peer, row.mode), MODES[row.mode])
        lines.append(f"| {row.peer} | {row.mode}: {mode.split(': ', 1)[1]} | {best:.3f} | {min(row.times):.3f}–{max(row.times):.3f} | "
                     f"{workload.samples / best / 1e6:.1f} | {best / wall_reference:.2f}× | {cpu:.3f} | {cpu / cpu_reference:.2f}× |")
    return lines


def run_workload(workload, args, report):
    print(f"== {workload.name}: {workload.channels} ch × {workload.seconds} s × {workload.rate} Hz", flush=True)
    data_path = ensure_data(args.work, workload)
    samples = task.load(data_path, workload)
    reference = methods.scipy_bandpowers(samples, workload)
    out_path = args.work / "out" / f"eegkit-{workload.name}.csv"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    results = {}
    rows = rows_for(workload, data_path, samples, args.eeg, out_path, results)
    measure(rows, args.runs)
    agree, failed = agreement_table(workload, check_agreement(workload, data_path, samples, reference, results, out_path))
    report += [f"### {workload.name}: {workload.channels} channels × {workload.seconds} s at {workload.rate} Hz "
               f"({workload.epochs} epochs of 4 s, {workload.samples / 1e6:.1f} M samples; {data_path.name})", ""]
    report += agree + [""] + timing_table(workload, rows) + [""]
    return failed


def main_run(args):
    report = ["## Peers: the same band-power task in scipy, MNE, BrainFlow and EEGKit", ""] + machine()
    report += [f"- best of {args.runs} runs, rows alternating within each run; eeg: {args.eeg}", ""]
    workloads = [dataclasses.replace(w, seconds=args.seconds) for w in (task.W1, task.W2)]
    failed = False
    for workload in workloads:
        failed |= run_workload(workload, args, report)
    report += NOTES
    text = "\n".join(report)
    print("\n" + text)
    (args.work / "peers-report.md").write_text(text + "\n")
    return 1 if failed else 0


NOTES = [
    "Notes:",
    "- Task: consecutive 4 s epochs; per epoch and channel Welch (periodic Hann, 2 s segments, 50 % overlap, "
    "constant detrend, density scaling, mean), band power = Σ PSD·Δf over lo ≤ f < hi for delta 1–4, theta 4–8, "
    "alpha 8–13, beta 13–30, gamma 30–45 Hz; agreement is per band, epoch and channel against scipy (float64).",
    "- Data: seeded synthetic EEG-like signal (AR(1) background, drifting 10 Hz alpha, 6 and 20 Hz rhythms, 50 Hz "
    "line noise, DC offsets up to ±500 µV), float32 little-endian; every Python peer computes on the same values as float64.",
    "- EEGKit's row is a whole process and does more than the task: the whole-input Welch average (about 2/3 more "
    "segments), per-epoch signal quality, relative powers and ratios, and the CSV written; the Python compute and load+compute rows exclude interpreter start and imports. "
    "Compare like with like: EEGKit process with the peers' process rows; against the in-process rows the ratio "
    "understates EEGKit.",
    "- wall ÷ EEGKit process: a row's best wall time over EEGKit's best whole-process wall time (above 1: EEGKit's "
    "whole command is that many times faster); CPU ÷ EEGKit process: the same with CPU time (user + system of the "
    "child process for process rows, this process's CPU time for in-process rows), steadier than wall time "
    "on a busy machine. M samples/s counts every channel's samples of the whole epochs, over the best wall time.",
    "- `eeg bandpower` prints no timings of its own, so EEGKit has only the whole-process row here; "
    "`make bench` times EEGKit's DSP core in process against C+FFTW.",
    "- Python peers run single-threaded (scipy/MNE n_jobs default); an EEGKit CPU time above its wall time would "
    "mean it used more than one core.",
]


def main_one(args):
    """A whole-process run of one Python peer (timed by the parent)."""
    workload = dataclasses.replace({"W1": task.W1, "W2": task.W2}[args.workload], seconds=args.seconds)
    result = methods.PEERS[args.peer](task.load(args.data, workload), workload)
    print(f"{args.peer} {workload.name} sum {float(result.sum()):.6e}")
    return 0


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eeg", default="eeg", help="the eeg executable (release build)")
    parser.add_argument("--work", type=Path, default=Path(".build-peers"), help="data and output folder")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per row (best and spread reported)")
    parser.add_argument("--seconds", type=int, default=3600, help="recording length (shorter for a quick try)")
    sub = parser.add_subparsers(dest="command")
    one = sub.add_parser("one", help="one Python peer as a whole process (used by the timed runs)")
    one.add_argument("peer", choices=sorted(methods.PEERS))
    one.add_argument("workload", choices=["W1", "W2"])
    one.add_argument("--seconds", type=int, default=3600)
    one.add_argument("--data", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command is None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


if __name__ == "__main__":
    arguments = parse_arguments(sys.argv[1:])
    sys.exit(main_one(arguments) if arguments.command == "one" else main_run(arguments))
