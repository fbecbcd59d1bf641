#!/usr/bin/env python3
"""Writes the stream descriptions liblsl itself renders (through pylsl 1.18, which
bundles liblsl 1.18), so EEGKit's StreamInfo is checked against the reference
implementation's XML, not against its own output. Run with the interop venv:
    .build-interop/venv/bin/python Fixtures/lsl/generate.py
"""
import os
import pylsl

HERE = os.path.dirname(os.path.abspath(__file__))


def eeg_info():
    info = pylsl.StreamInfo("Cyton & <Daisy>", "EEG", 3, 250.0, "float32", "DM00EEGK")
    channels = info.desc().append_child("channels")
    for label in ["Fp1", "Fp2", "C3"]:
        channel = channels.append_child("channel")
        channel.append_child_value("label", label)
        channel.append_child_value("unit", "microvolts")
        channel.append_child_value("type", "EEG")
    info.desc().append_child("acquisition").append_child_value("manufacturer", "OpenBCI")
    return info


def markers_info():
    return pylsl.StreamInfo("Markers", "Markers", 1, pylsl.IRREGULAR_RATE, "string", "psychopy-1")


for name, info in [("eeg-info.xml", eeg_info()), ("markers-info.xml", markers_info())]:
    with open(os.path.join(HERE, name), "w") as fh:
        fh.write(info.as_xml())
