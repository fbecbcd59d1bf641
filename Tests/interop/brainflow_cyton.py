#!/usr/bin/env python3
"""Reads a Cyton (or Cyton + Daisy) through BrainFlow's serial board on --port and writes
what get_board_data returned: the package-number row, the EEG rows (µV) and the
accelerometer rows (g), one entry per BrainFlow sample, as JSON.

BrainFlow opens the port, sends `v` and waits for `$$$`, sends `d` and reads the reply,
then `b`; this script collects until --rows samples have arrived (and --settle seconds
more, for any extra ones), or until none arrived for --idle seconds, then stops the
stream (`s`) and releases the session.

Usage (in the interop venv): brainflow_cyton.py --port /dev/pts/N [--daisy] --rows 1400 --out bf.json"""
import argparse
import json
import sys
import time

from brainflow.board_shim import BoardIds, BoardShim, BrainFlowInputParams, LogLevels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", required=True)
    parser.add_argument("--daisy", action="store_true")
    parser.add_argument("--rows", type=int, required=True, help="samples to wait for")
    parser.add_argument("--idle", type=float, default=10, help="give up after this long without a new sample")
    parser.add_argument("--settle", type=float, default=0.3, help="wait this long after --rows for more")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    board_id = BoardIds.CYTON_DAISY_BOARD if args.daisy else BoardIds.CYTON_BOARD
    BoardShim.set_log_level(LogLevels.LEVEL_WARN.value)
    params = BrainFlowInputParams()
    params.serial_port = args.port
    board = BoardShim(board_id, params)
    board.prepare_session()
    board.start_stream(450000)
    started = last_change = time.monotonic()
    count = 0
    while count < args.rows:
        time.sleep(0.05)
        now = time.monotonic()
        current = board.get_board_data_count()
        if current != count:
            count, last_change = current, now
        if now - last_change > args.idle or now - started > args.timeout:
            break
    time.sleep(args.settle)
    data = board.get_board_data()
    board.stop_stream()
    board.release_session()

    package = BoardShim.get_package_num_channel(board_id)
    eeg = BoardShim.get_eeg_channels(board_id)
    accel = BoardShim.get_accel_channels(board_id)
    rows = data.shape[1]
    result = {
        "version": BoardShim.get_version(),
        "board": board_id.name,
        "package": [int(v) for v in data[package]],
        "eeg": [[float(data[c][i]) for c in eeg] for i in range(rows)],
        "accel": [[float(data[c][i]) for c in accel] for i in range(rows)],
    }
    with open(args.out, "w") as fh:
        json.dump(result, fh)
    print("brainflow %s: %d samples" % (result["version"], rows), file=sys.stderr)


if __name__ == "__main__":
    main()
