#!/usr/bin/env python3
"""Reads an EDF file with edfio and writes it again with edfio's own writer:
`rewrite_edf.py IN OUT`. For an EDF+D input edfio keeps the file discontinuous and
writes every record's time-keeping annotation itself, so OUT is an EDF+D file written by
an independent tool. Prints the annotations edfio saw, as JSON [[onset, text], ...]."""
import json
import sys

import edfio

edf = edfio.read_edf(sys.argv[1])
edf.write(sys.argv[2])
json.dump([[float(a.onset), a.text] for a in edf.annotations], sys.stdout)
