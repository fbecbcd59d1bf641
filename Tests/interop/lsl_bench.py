#!/usr/bin/env python3
"""LSL throughput and latency as liblsl's own inlet (pylsl) sees them, for EEGKit's
benchmark (Benchmarks compare --lsl-only). Run with LSLAPICFG set to a machine-scope file.

  lsl_bench.py inlet NAME N M       pull N samples as fast as they come, then M paced ones
  lsl_bench.py reference N M        the same from a liblsl outlet (pylsl) in this process

Prints one JSON line: samples/s (first to last arrival of the N) and the push-to-pull
latency percentiles (ms) of the M paced samples, whose timestamps are the push time in
LSL's clock (CLOCK_MONOTONIC, shared by both sides).
"""
import json, sys, threading, time
import pylsl


def pull(inlet, n, m):
    got, first = 0, None
    while got < n:
        data, ts = inlet.pull_chunk(timeout=5.0, max_samples=8192)
        if not ts:
            break
        if first is None:
            first = time.perf_counter()
        got += len(ts)
    elapsed = time.perf_counter() - first if first else float("nan")
    lat = []
    while len(lat) < m:
        sample, ts = inlet.pull_sample(timeout=5.0)
        if ts is None:
            break
        lat.append((pylsl.local_clock() - ts) * 1000)
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    return {"samples": got, "rate": got / elapsed if got > 1 else 0, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "paced": len(lat)}


def main():
    mode, n, m = sys.argv[1], int(sys.argv[-2]), int(sys.argv[-1])
    if mode == "inlet":
        found = pylsl.resolve_byprop("name", sys.argv[2], 1, 10)
        inlet = pylsl.StreamInlet(found[0], max_buflen=360)
        inlet.open_stream(10)
        print("ready", flush=True)
        print(json.dumps(pull(inlet, n, m)), flush=True)
        return
    info = pylsl.StreamInfo("lsl-bench-reference", "EEG", 8, 250, "float32", "bench-ref")
    outlet = pylsl.StreamOutlet(info, 0, 360)
    inlet = pylsl.StreamInlet(pylsl.resolve_byprop("name", "lsl-bench-reference", 1, 10)[0], max_buflen=360)
    inlet.open_stream(10)
    time.sleep(0.2)

    def push():
        chunk = [[float(i)] * 8 for i in range(1000)]
        for _ in range(n // 1000):
            outlet.push_chunk(chunk)
        time.sleep(0.5)
        for i in range(m):
            outlet.push_sample([float(i)] * 8, pylsl.local_clock())
            time.sleep(0.001)
    threading.Thread(target=push, daemon=True).start()
    print(json.dumps(pull(inlet, n, m)), flush=True)


if __name__ == "__main__":
    main()
