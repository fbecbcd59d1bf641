#!/usr/bin/env python3
"""A marker outlet built on liblsl (pylsl), for testing `eeg record --markers-from-lsl`.

Resolves EEGKit's EEG outlet EEG_NAME and reads its samples with their timestamps, so
the marker times it chooses are known sample times of the recording. Then offers a
string marker stream MARKERS_NAME, waits until EEGKit's inlet has connected, and pushes
COUNT markers "m0", "m1", … each stamped with (push_sample's explicit timestamp) the
timestamp of an EEG sample pulled a moment before. With --restart it then withdraws the
outlet, waits, offers the stream again (a new outlet, as a restarted program would) and
pushes COUNT more, "r0", "r1", … It then prints "pushed" and keeps the outlet until its
standard input closes.

Prints "resolving" once pylsl is loaded, then one JSON object: for every marker its text,
its timestamp and the values of the EEG sample whose time it carries. Run with LSLAPICFG
pointing at a machine-scope configuration so nothing leaves loopback.

usage: lsl_marker_source.py MARKERS_NAME EEG_NAME COUNT [--restart] [--timeout SEC]
"""
import argparse
import json
import sys
import time


def pull_recent(inlet, seconds):
    """EEG samples (timestamp, values) pulled over `seconds`."""
    got = []
    end = time.time() + seconds
    while time.time() < end:
        chunk, stamps = inlet.pull_chunk(timeout=0.1, max_samples=4096)
        got += list(zip(stamps, chunk))
    return got


def offer(pylsl, name, timeout):
    info = pylsl.StreamInfo(name, "Markers", 1, pylsl.IRREGULAR_RATE, "string", "eegkit-test-markers")
    outlet = pylsl.StreamOutlet(info)
    if not outlet.wait_for_consumers(timeout):
        raise SystemExit(json.dumps({"error": "no consumer connected to " + name}))
    return outlet


def push_markers(pylsl, outlet, eeg, prefix, count):
    """Pushes `count` markers at the times of EEG samples 40 apart (0.16 s at 250 Hz)."""
    samples = pull_recent(eeg, 0.5)
    pushed = []
    for i in range(count):
        samples += pull_recent(eeg, 0.2)
        stamp, values = samples[-1 - (count - i) * 5]
        outlet.push_sample([f"{prefix}{i}"], stamp)
        pushed.append({"text": f"{prefix}{i}", "timestamp": stamp, "values": list(values)})
    return pushed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("markers")
    parser.add_argument("eeg")
    parser.add_argument("count", type=int)
    parser.add_argument("--restart", action="store_true")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    import pylsl
    print("resolving", flush=True)
    found = pylsl.resolve_bypred(f"name='{args.eeg}'", 1, args.timeout)
    if not found:
        print(json.dumps({"error": "EEG stream not resolved"}), flush=True)
        return
    eeg = pylsl.StreamInlet(found[0], max_buflen=60)
    eeg.open_stream(args.timeout)
    outlet = offer(pylsl, args.markers, args.timeout)
    pushed = push_markers(pylsl, outlet, eeg, "m", args.count)
    if args.restart:
        time.sleep(0.5)
        del outlet
        time.sleep(1.5)
        outlet = offer(pylsl, args.markers, args.timeout)
        pushed += push_markers(pylsl, outlet, eeg, "r", args.count)
    print(json.dumps({"markers": pushed}), flush=True)
    # The outlet stays until the test closes standard input (it has seen every marker placed):
    # liblsl may drop what is still queued when an outlet is destroyed.
    print("pushed", flush=True)
    sys.stdin.read()


main()
