#!/usr/bin/env python3
"""An LSL inlet built on liblsl (through pylsl or mne-lsl), for EEGKit's interop tests.

Prints "resolving" once its library is loaded, resolves one stream by name (and
optionally type and source_id), connects, prints "ready" on a line of its own, pulls samples until COUNT arrived or TIMEOUT passed, and
prints one JSON object: the stream info liblsl parsed (labels from desc), the samples,
their timestamps, and time_correction(). Run with LSLAPICFG pointing at a machine-scope
configuration (the test does) so nothing leaves loopback.

usage: lsl_inlet.py pylsl|mne NAME COUNT [--type T] [--source-id S] [--timeout SEC] [--until-idle SEC]

With --until-idle, pulling also ends once samples arrived and then none for SEC seconds
(the outlet's program ended).
"""
import argparse
import json
import sys
import time


def pull_pylsl(args):
    import pylsl
    print("resolving", flush=True)
    pred = f"name='{args.name}'"
    if args.type:
        pred += f" and type='{args.type}'"
    if args.source_id:
        pred += f" and source_id='{args.source_id}'"
    found = pylsl.resolve_bypred(pred, 1, args.timeout)
    if not found:
        return {"error": "not resolved"}
    inlet = pylsl.StreamInlet(found[0], max_buflen=60, recover=True)
    inlet.open_stream(args.timeout)
    info = inlet.info(args.timeout)
    labels, units, types = [], [], []
    ch = info.desc().child("channels").child("channel")
    while not ch.empty():
        labels.append(ch.child_value("label"))
        units.append(ch.child_value("unit"))
        types.append(ch.child_value("type"))
        ch = ch.next_sibling()
    meta = {"name": info.name(), "type": info.type(), "source_id": info.source_id(),
            "channel_count": info.channel_count(), "nominal_srate": info.nominal_srate(),
            "channel_format": info.channel_format(), "labels": labels, "units": units, "types": types}
    correction = inlet.time_correction(args.timeout)
    print("ready", flush=True)
    samples, stamps = pull(lambda: inlet.pull_chunk(timeout=0.2, max_samples=4096), args)
    return {"info": meta, "samples": samples, "timestamps": stamps, "time_correction": correction}


def pull_mne(args):
    from mne_lsl.lsl import StreamInlet, resolve_streams
    print("resolving", flush=True)
    found = resolve_streams(timeout=args.timeout, name=args.name, stype=args.type, source_id=args.source_id)
    if not found:
        return {"error": "not resolved"}
    inlet = StreamInlet(found[0], max_buffered=60)
    inlet.open_stream(timeout=args.timeout)
    info = inlet.get_sinfo(timeout=args.timeout)
    meta = {"name": info.name, "type": info.stype, "source_id": info.source_id,
            "channel_count": info.n_channels, "nominal_srate": info.sfreq,
            "labels": info.get_channel_names(), "units": info.get_channel_units(), "types": info.get_channel_types()}
    correction = inlet.time_correction(timeout=args.timeout)
    print("ready", flush=True)

    def chunk():
        data, ts = inlet.pull_chunk(timeout=0.2, max_samples=4096)
        return [list(map(lambda v: v if isinstance(v, str) else float(v), row)) for row in data], list(ts)
    samples, stamps = pull(chunk, args)
    return {"info": meta, "samples": samples, "timestamps": stamps, "time_correction": correction}


def pull(chunk, args):
    samples, stamps = [], []
    deadline = time.monotonic() + args.timeout
    last = time.monotonic()
    while len(samples) < args.count and time.monotonic() < deadline:
        data, ts = chunk()
        # NaN (a metric not available yet) becomes null: JSON has no NaN.
        samples += [[None if isinstance(v, float) and v != v else v for v in row] for row in data]
        stamps += list(ts)
        if len(ts):
            last = time.monotonic()
        elif args.until_idle and samples and time.monotonic() - last > args.until_idle:
            break
    # A chunk can bring more than were asked for (a slow inlet finds several waiting):
    # COUNT means the first COUNT samples.
    return samples[:args.count], stamps[:args.count]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lib", choices=["pylsl", "mne"])
    parser.add_argument("name")
    parser.add_argument("count", type=int)
    parser.add_argument("--type")
    parser.add_argument("--source-id")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--until-idle", type=float)
    args = parser.parse_args()
    result = pull_pylsl(args) if args.lib == "pylsl" else pull_mne(args)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
