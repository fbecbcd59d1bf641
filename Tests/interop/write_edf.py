#!/usr/bin/env python3
"""Writes EDF+/BDF+ files with annotations using other tools, for EEGKit's reader tests:
`write_edf.py DIR` writes DIR/pyedflib.edf, DIR/pyedflib.bdf and DIR/edfio.edf (a 10 s
sine at 256 Hz and a few annotations, one with non-ASCII text and one with a duration)."""
import sys

import edfio
import numpy as np
import pyedflib

out = sys.argv[1]
signal = np.sin(np.arange(2560) / 10) * 50
header = {"label": "Fp1", "dimension": "uV", "sample_frequency": 256, "physical_max": 200, "physical_min": -200,
          "digital_max": 32767, "digital_min": -32768}
w = pyedflib.EdfWriter(f"{out}/pyedflib.edf", 2, file_type=pyedflib.FILETYPE_EDFPLUS)
w.setSignalHeaders([header, dict(header, label="Fp2")])
w.writeSamples([signal, signal])
w.writeAnnotation(1.25, -1, "eyes closed")
w.writeAnnotation(3.5, 2.0, "blink ünïcode")
w.close()
w = pyedflib.EdfWriter(f"{out}/pyedflib.bdf", 1, file_type=pyedflib.FILETYPE_BDFPLUS)
w.setSignalHeaders([dict(header, digital_max=8388607, digital_min=-8388608)])
w.writeSamples([signal])
w.writeAnnotation(0.5, -1, "start")
w.close()
edf = edfio.Edf([edfio.EdfSignal(signal, sampling_frequency=256, label="C3")],
               annotations=[edfio.EdfAnnotation(2.0, None, "marker"), edfio.EdfAnnotation(4.0, 1.5, "x")])
edf.write(f"{out}/edfio.edf")
