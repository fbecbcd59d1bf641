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
    # timeout=0: take what has arrived (a positive timeout waits for a whole chunk).
    got, first, last = 0, None, time.perf_counter()
    while got < n and time.perf_counter() - last < 5:
        data, ts = inlet.pull_chunk(timeout=0.0, max_samples=min(8192, n - got))
        if not ts:
            time.sleep(0.0002)
            continue
        last = time.perf_counter()
        if first is None:
            first = last
        got += len(ts)
    elapsed = last - first if first else 0
    lat = []
    while len(lat) < m:  # the paced samples: one every millisecond
        sample, ts = inlet.pull_sample(timeout=5.0)
        if ts is None:
            break
        lat.append((pylsl.local_clock() - ts) * 1000)
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
    return {"samples": got, "rate": got / elapsed if elapsed > 0 else None, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "paced": len(lat)}


def main():
    mode, n, m = sys.argv[1], int(sys.argv[-2]), int(sys.argv[-1])
    if mode == "inlet":
        found = pylsl.resolve_byprop("name", sys.argv[2], 1, 10)
        inlet = pylsl.StreamInlet(found[0], max_buflen=360)
        inlet.open_stream(10)
        print("ready", flush=True)
        print(json.dumps(pull(inlet, n, m)), flush=True)
        return
    info = pylsl.StreamInfo("lsl-bench-reference", "EEG", 8, 1000, "float32", "bench-ref")
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
