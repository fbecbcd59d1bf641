#!/usr/bin/env python3
"""Compares what EEGKit (`eeg stream --emit samples --format csv`) and BrainFlow 5.23
(get_board_data, written by brainflow_cyton.py) made of the same Cyton byte stream
(written by cyton_stream.py), packet by packet, and sorts every difference into a
documented convention or "unexplained".

BrainFlow's rows must first equal, value for value, what its reader does by its source
(src/board_controller/openbci/cyton.cpp, cyton_daisy.cpp), replayed here on the stream's
bytes (BrainFlowModel): so every convention below is BrainFlow's real behaviour.

Checks, for each packet of the ground truth:
  - EEGKit's µV are the exact counts x 4.5 / 24 / (2^23 - 1) x 10^6 rounded once to float32;
  - BrainFlow's are its own double computation ((4.5 / 8388607 / 24 x 10^6) x counts);
  - where both have the packet, EEGKit's value is BrainFlow's rounded to float32;
  - the sample counter: EEGKit's unwrapped index and BrainFlow's 8-bit package number
    name the same packet;
  - the accelerometer: BrainFlow's rows against the reading each packet carried (and
    EEGKit's accelerometer columns, when its CSV has them).
A packet one tool has and the other has not must be explained by a convention (see
CONVENTIONS below); so must every BrainFlow row that repeats an earlier Daisy half.
With --eeg-log (eeg's standard error, one per --eeg, in order), EEGKit's reported losses
must be exactly the jumps in its sample column, and its closing count must add up.

Prints a JSON report; exit status 0 when nothing is unexplained, 1 otherwise.
Usage: compare_cyton.py --truth t.json --stream s.bin --brainflow bf.json --eeg eeg.csv [--eeg-log eeg.err] [--eeg ...]
       compare_cyton.py --truth t.json --stream s.bin --brainflow-rows   (how many rows BrainFlow will give)"""
import argparse
import csv
import json
import re
import struct
import sys
from fractions import Fraction

ACCEL_SCALE = 0.002 / 2 ** 4                 # g per count, as both tools use it
BF_SCALE = 4.5 / float(2 ** 23 - 1) / 24 * 1000000.0   # BrainFlow's µV per count, gain 24

CONVENTIONS = {
    "accel_x_zero": "BrainFlow takes a 0xC0 packet's aux bytes as a new reading only when x is not 0 (the packets "
                    "between readings are zeros), so a real reading with x = 0 g is dropped and the previous one held",
    "accel_averaged": "Daisy: BrainFlow averages a reading in a board (odd) packet with the value it held before, so "
                      "it reports the mean of the new and the previous reading (and keeps it until the next one)",
    "misaligned_read": "a packet lost to BrainFlow because a misaligned read (see misaligned_row) took its bytes",
    "misaligned_row": "after a bad read BrainFlow resynchronises on the next 0xA0 even inside a packet; when a byte 32 "
                      "further on looks like a footer it writes a row made of two packets' bytes (nonsense values, a "
                      "wrong package number) and loses the packets it cut; EEGKit re-scans rejected bytes from the "
                      "next 0xA0 after the bad start and so starts at the real header",
    "accel_misaligned_row": "BrainFlow's held accelerometer value came from a misaligned row",
    "accel_after_torn": "the reading came in the packet after a torn one, which BrainFlow throws away (see after_torn)",
    "accel_misaligned_read": "the reading came in a packet a misaligned read took (see misaligned_read)",
    "accel_daisy_half_dropped": "Daisy: the reading came in a Daisy half BrainFlow dropped (see daisy_half_dropped)",
    "accel_lost_pair_half": "Daisy: BrainFlow's last reading came in a half EEGKit drops because its partner was lost",
    "accel_pairing": "Daisy: the reading came in the Daisy half EEGKit pairs with the board packet (n+1); BrainFlow's "
                     "row for that board packet has its Daisy half from before (n-1), so it shows the reading a row later",
    "after_torn": "BrainFlow reads 32 bytes after any 0xA0 and throws all of them away when the footer is wrong, "
                  "so the whole packet after a torn one goes with it; EEGKit restarts at the next 0xA0 inside the "
                  "rejected bytes and keeps it",
    "lost_pair_half": "Daisy: EEGKit drops a half whose partner was lost and reports the frame as a gap; BrainFlow "
                      "commits a row at every board (odd) packet, with whatever Daisy half it last saw",
    "daisy_half_dropped": "Daisy: BrainFlow keeps a Daisy (even) packet only until the next packet; when that is "
                          "not a board packet (lost) the Daisy half is overwritten or never committed",
    "stale_daisy_half": "Daisy: a BrainFlow row whose Daisy (even) packet was lost repeats the channels 9-16 (and "
                        "package number) of an earlier row, with no sign of the loss",
    "pairing": "Daisy: EEGKit pairs board packet n (odd) with the Daisy packet n+1 and numbers the frame by the "
               "pair; BrainFlow pairs Daisy packet n (even) with the board packet n+1 and numbers the row n: channels "
               "1-8 agree row for row, channels 9-16 are one Daisy sample apart",
    "first_row_zero_daisy": "Daisy: when the stream starts with a board (odd) packet, BrainFlow's first row has "
                            "zeros for channels 9-16 and package number 0",
}


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def exact_microvolts(count):
    return f32(float(Fraction(count * 45 * 10 ** 6, 10 * 24 * (2 ** 23 - 1))))


def unwrap(packets):
    """Each packet's unwrapped index, as EEGKit counts it from the first packet."""
    index, previous = 0, None
    for p in packets:
        if previous is not None:
            delta = (p["number"] - previous) & 0xFF
            index += delta or 256
        p["index"], previous = index, p["number"]


def read_eeg(path, channels):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    if header[:1 + channels] != ["sample"] + ["ch%d" % (i + 1) for i in range(channels)]:
        raise SystemExit("%s: unexpected header %s" % (path, header))
    accel = [i for i, name in enumerate(header) if name.lower().startswith("accel")]
    frames = {}
    for row in body:
        # EEGKit prints each float32 in the fewest digits that read back as it.
        frames[int(row[0])] = {"uv": [f32(float(v)) for v in row[1:1 + channels]],
                               "accel": [float(row[i]) if row[i] else None for i in accel] if accel else None}
    return frames, [header[i] for i in accel]


class BrainFlowModel:
    """What BrainFlow 5.23's Cyton / CytonDaisy read_thread makes of the stream's bytes
    (from its source: src/board_controller/openbci/cyton.cpp, cyton_daisy.cpp): the
    packets its reader takes in, then its rows, each with the packets its values came from."""

    def __init__(self, stream, packets, daisy):
        self.rows = []
        self.received, self.misaligned = read_like_brainflow(stream, packets)
        (self.daisy_rows if daisy else self.plain_rows)(self.received)

    def plain_rows(self, received):
        accel, last = [0.0, 0.0, 0.0], None
        for p in received:
            last = p if p["accel"] else last
            if p["accel"] and p["accel"][0] != 0:
                accel = [ACCEL_SCALE * v for v in p["accel"]]
            self.rows.append({"package": p["number"], "board": p, "daisy": None, "accel": list(accel),
                              "eeg": [BF_SCALE * c for c in p["counts"]], **self.quirk(accel, last)})

    @staticmethod
    def quirk(accel, last):
        """How a row's accelerometer differs from the last reading BrainFlow received (the
        packet `last`): not at all (None), held over a reading whose x is 0, or averaged
        with an earlier one."""
        plain = [ACCEL_SCALE * v for v in last["accel"]] if last else None
        quirk = None if plain is None or accel == plain else "x_zero" if last["accel"][0] == 0 else "averaged"
        return {"last_reading": last and last["accel"], "last_packet": last, "quirk": quirk}

    def daisy_rows(self, received):
        accel, last = [0.0, 0.0, 0.0], None
        package, daisy_half, daisy_packet = 0, [0.0] * 8, None
        for p in received:
            last = p if p["accel"] else last
            reading = p["accel"] if p["accel"] and p["accel"][0] != 0 else None
            if p["number"] % 2 == 0:
                package, daisy_half, daisy_packet = p["number"], [BF_SCALE * c for c in p["counts"]], p
                if reading:
                    accel = [ACCEL_SCALE * v for v in reading]
                continue
            if reading:
                accel = [(a + ACCEL_SCALE * v) / 2.0 for a, v in zip(accel, reading)]
            self.rows.append({"package": package, "board": p, "daisy": daisy_packet, "accel": list(accel),
                              "eeg": [BF_SCALE * c for c in p["counts"]] + daisy_half, **self.quirk(accel, last)})


def read_like_brainflow(stream, packets):
    """The packets BrainFlow's reader takes from `stream`: it skips to a 0xA0, reads the 32
    bytes after it, and throws all 33 away when the last is not a footer 0xC0-0xC6. Each
    is the truth's packet that starts there, or (a "misaligned" read: bytes of two packets
    that happen to look like one) a packet made of those bytes. Also returns the byte
    ranges of the misaligned reads."""
    by_start = {p["start"]: p for p in packets}
    received, misaligned, position = [], [], 0
    while position + 33 <= len(stream):
        if stream[position] != 0xA0:
            position += 1
            continue
        data, start = stream[position:position + 33], position
        position += 33
        if not 0xC0 <= data[32] <= 0xC6:
            continue
        if start in by_start:
            received.append(by_start[start])
            continue
        accel = [int.from_bytes(data[26 + 2 * i:28 + 2 * i], "big", signed=True) for i in range(3)]
        received.append({"number": data[1], "counts": [int.from_bytes(data[2 + 3 * i:5 + 3 * i], "big", signed=True) for i in range(8)],
                         "accel": accel if data[32] == 0xC0 and any(accel) else None, "start": start, "end": start + 33,
                         "after_torn": False, "index": None, "misaligned": True})
        misaligned.append((start, start + 33))
    return received, misaligned


class Comparison:
    def __init__(self, truth, stream, brainflow, eeg_paths, eeg_logs=()):
        self.truth, self.bf = truth, brainflow
        self.daisy = truth["daisy"]
        self.packets = truth["packets"]
        unwrap(self.packets)
        self.model = BrainFlowModel(stream, self.packets, self.daisy)
        self.channels = 16 if self.daisy else 8
        self.report = {"brainflow_version": brainflow["version"], "packets": len(self.packets),
                       "torn": len(truth["torn"]), "garbage_bursts": len(truth["garbage"]), "counter_gaps": len(truth["gaps"]),
                       "brainflow_rows": len(brainflow["package"]), "unexplained": [], "explained": {}, "eeg": {}}
        self.check_brainflow()
        for path in eeg_paths:
            self.report["eeg"][path] = self.compare_eeg(path)
        for path, log in zip(eeg_paths, eeg_logs):
            self.report["eeg"][path]["reported_gaps"] = self.check_log(path, log)

    def unexplained(self, what):
        if len(self.report["unexplained"]) < 50:
            self.report["unexplained"].append(what)
        self.report["unexplained_count"] = self.report.get("unexplained_count", 0) + 1

    def explained(self, convention, count=1):
        self.report["explained"][convention] = self.report["explained"].get(convention, 0) + count

    def check_brainflow(self):
        """BrainFlow's rows equal the model of its source, value for value."""
        rows, bf = self.model.rows, self.bf
        if len(rows) != len(bf["package"]):
            self.unexplained("BrainFlow gave %d rows, its documented reading gives %d" % (len(bf["package"]), len(rows)))
        eeg_equal = accel_equal = package_equal = 0
        for i, row in enumerate(rows[:len(bf["package"])]):
            package_equal += bf["package"][i] == row["package"]
            eeg_equal += bf["eeg"][i] == row["eeg"]
            accel_equal += bf["accel"][i] == row["accel"]
            if bf["eeg"][i] != row["eeg"] or bf["package"][i] != row["package"] or bf["accel"][i] != row["accel"]:
                self.unexplained("BrainFlow row %d (package %d) differs from its documented reading" % (i, bf["package"][i]))
        self.report["brainflow_rows_as_documented"] = {"package": package_equal, "eeg": eeg_equal, "accel": accel_equal}
        for row in rows:
            if row["board"].get("misaligned") or (row["daisy"] or {}).get("misaligned"):
                self.explained("misaligned_row")
        if self.daisy:
            for i, row in enumerate(rows):
                if row["daisy"] is None:
                    self.explained("first_row_zero_daisy")
                elif i > 0 and rows[i - 1]["daisy"] is row["daisy"]:
                    self.explained("stale_daisy_half")
        held = sum(1 for p in self.packets if p["accel"] and p["accel"][0] == 0)
        self.report["accel_readings"] = sum(1 for p in self.packets if p["accel"])
        self.report["accel_readings_with_x_zero_held_by_brainflow"] = held
        if self.daisy:
            # A reading in a board (odd) packet: BrainFlow reports its mean with the last one.
            self.report["accel_readings_averaged_with_previous_by_brainflow"] = sum(
                1 for row in self.model.rows if row["board"]["accel"] and row["board"]["accel"][0] != 0)

    def bf_values(self):
        """For each packet (by id), BrainFlow's values of it (its half of the row it went
        into) and that row's package number."""
        values = {}
        for row, got, package in zip(self.model.rows, self.bf["eeg"], self.bf["package"]):
            values[id(row["board"])] = (got[:8], package)
            if row["daisy"] is not None and id(row["daisy"]) not in values:
                values[id(row["daisy"])] = (got[8:], package)
        return values

    def eeg_values(self, frames):
        """For each packet (by id), EEGKit's values of it, and the frame index it is in."""
        values = {}
        if not self.daisy:
            by_index = {p["index"]: p for p in self.packets}
            for index, frame in frames.items():
                p = by_index.get(index)
                if p is None:
                    self.unexplained("EEGKit frame %d matches no packet" % index)
                    continue
                values[id(p)] = (frame["uv"], index)
            return values
        by_index = {p["index"]: p for p in self.packets}
        for p in self.packets:
            partner = by_index.get(p["index"] + 1)
            if p["number"] % 2 == 1 and partner is not None:
                frame = frames.get(p["index"] // 2)
                if frame is not None:
                    values[id(p)] = (frame["uv"][:8], p["index"] // 2)
                    values[id(partner)] = (frame["uv"][8:], p["index"] // 2)
        return values

    def compare_eeg(self, path):
        frames, accel_columns = read_eeg(path, self.channels)
        bf, ours = self.bf_values(), self.eeg_values(frames)
        result = {"frames": len(frames), "values_compared": 0, "values_equal_to_brainflow_as_float32": 0,
                  "values_exact": 0, "max_abs_difference_uv": 0.0, "counter_checked": 0,
                  "accel_columns": accel_columns}
        by_index = {p["index"]: p for p in self.packets}
        for p in self.packets:
            mine, theirs = ours.get(id(p)), bf.get(id(p))
            if mine and theirs:
                self.compare_values(p, mine[0], theirs[0], result)
                self.compare_counter(path, p, mine[1], theirs[1], result)
            else:
                # Missing from one tool or both: each absence needs its tool's reason.
                reasons = ([] if mine else [self.why_not_in_eeg(p, by_index)]) + ([] if theirs else [self.why_not_in_brainflow(p)])
                if None in reasons:
                    self.unexplained("%s: packet number %d (index %d) is %s" % (
                        path, p["number"], p["index"], "in neither" if not mine and not theirs else
                        "not in EEGKit" if not mine else "not in BrainFlow"))
                for reason in reasons:
                    if reason:
                        self.explained(reason)
        if self.daisy:
            paired = sum(1 for row in self.model.rows if row["daisy"] is not None and row["board"]["index"] is not None
                         and row["board"]["index"] // 2 in frames)
            result["frames_with_daisy_half_from_different_packets"] = paired
            self.explained("pairing", paired)
        if accel_columns:
            self.compare_accel(path, frames, result)
        return result

    def compare_values(self, p, mine, theirs, result):
        for count, ours, bf in zip(p["counts"], mine, theirs):
            result["values_compared"] += 1
            result["values_exact"] += ours == exact_microvolts(count)
            result["values_equal_to_brainflow_as_float32"] += ours == f32(bf)
            result["max_abs_difference_uv"] = max(result["max_abs_difference_uv"], abs(ours - bf))
            if ours != exact_microvolts(count):
                self.unexplained("packet number %d: EEGKit %r is not the exact value of %d counts" % (p["number"], ours, count))
            elif ours != f32(bf):
                self.unexplained("packet number %d: EEGKit %r, BrainFlow %r (%d counts)" % (p["number"], ours, bf, count))

    def compare_counter(self, path, p, frame, package, result):
        """8 channels: EEGKit's frame index, unwrapped from the first packet, and BrainFlow's
        8-bit package number name the same packet. Daisy: EEGKit's frame is the pair number
        (board packet index // 2); BrainFlow's row carries the Daisy packet's number."""
        first = self.packets[0]["number"]
        if not self.daisy:
            ok = (first + frame) & 0xFF == package == p["number"]
        elif p["number"] % 2 == 1:
            ok = frame == p["index"] // 2 and (first + p["index"]) & 0xFF == p["number"]
        else:
            ok = frame == (p["index"] - 1) // 2 and package == p["number"]
        result["counter_checked"] += 1
        if not ok:
            self.unexplained("%s: packet number %d: EEGKit frame %d, BrainFlow package %d" % (path, p["number"], frame, package))

    def why_not_in_brainflow(self, p):
        """The convention under which BrainFlow has no value of packet `p`, if any."""
        if p["after_torn"]:
            return "after_torn"
        if any(start < p["end"] and p["start"] < end for start, end in self.model.misaligned):
            return "misaligned_read"
        if self.daisy and p["number"] % 2 == 0:
            return "daisy_half_dropped"
        return None

    def why_not_in_eeg(self, p, by_index):
        """The convention under which EEGKit has no value of packet `p`, if any."""
        partner = by_index.get(p["index"] + (1 if p["number"] % 2 == 1 else -1))
        return "lost_pair_half" if self.daisy and partner is None else None

    def check_log(self, path, log):
        """EEGKit's "lost N frames before sample I" lines are exactly the jumps in its
        sample column, and "stopped (…): F frames, L lost" counts its rows and those gaps."""
        with open(path, newline="") as fh:
            indices = [int(row[0]) for row in list(csv.reader(fh))[1:]]
        jumps = [(b - a - 1, b) for a, b in zip([-1] + indices, indices) if b > a + 1]
        gaps, stopped = [], None
        with open(log) as fh:
            for line in fh:
                lost = re.match(r"eeg: lost (\d+) frames? before sample (\d+)$", line.strip())
                if lost:
                    gaps.append((int(lost.group(1)), int(lost.group(2))))
                end = re.match(r"eeg: stopped \([^)]*\): (\d+) frames, (\d+) lost", line.strip())
                if end:
                    stopped = (int(end.group(1)), int(end.group(2)))
        # A loss may be reported in adjacent pieces (with a Daisy, a lost half and then
        # a lost pair): "1 before 58" and "1 before 59" are the jump from 56 to 59.
        merged = []
        for lost, before in gaps:
            if merged and merged[-1][1] == before - lost:
                merged[-1] = (merged[-1][0] + lost, before)
            else:
                merged.append((lost, before))
        if merged != jumps:
            self.unexplained("%s: reported losses %s are not the jumps in the sample column %s" % (log, gaps, jumps))
        if stopped != (len(indices), sum(n for n, _ in gaps)):
            self.unexplained("%s: closing count %s, but %d frames and %d lost" % (log, stopped, len(indices), sum(n for n, _ in gaps)))
        return len(gaps)

    def compare_accel(self, path, frames, result):
        """EEGKit's accelerometer columns (g, held between the 25 Hz readings): at every
        frame from the first reading on, the last reading of a packet in that frame or an
        earlier one, x 0.002/16. Against BrainFlow's row for the same board packet they
        differ only where one of the conventions says so."""
        expected = self.expected_accel(frames)
        result["accel_checked"] = 0
        for index, sources in expected.items():
            got = frames[index]["accel"]
            result["accel_checked"] += 1
            if not any(close(got, scaled(p["accel"])) for p in sources):
                self.unexplained("%s: accelerometer at frame %d is %s, the readings give %s" % (
                    path, index, got, [scaled(p["accel"]) for p in sources]))
        equal = 0
        for row, bf in zip(self.model.rows, self.bf["accel"]):
            if row["board"].get("misaligned"):
                continue
            index = row["board"]["index"] // 2 if self.daisy else row["board"]["index"]
            if index not in expected or row["last_reading"] is None:
                continue
            if close(frames[index]["accel"], bf):
                equal += 1
            else:
                reason = self.accel_reason(row, expected[index], frames[index]["accel"])
                if reason:
                    self.explained(reason)
                else:
                    self.unexplained("%s: accelerometer at frame %d: EEGKit %s, BrainFlow %s" % (path, index, frames[index]["accel"], bf))
        result["accel_equal_to_brainflow"] = equal

    def accel_reason(self, row, sources, got):
        """Why BrainFlow's row shows another accelerometer value than EEGKit's frame."""
        source = next((p for p in sources if close(got, scaled(p["accel"]))), None)
        if row["last_packet"] is not None and row["last_packet"].get("misaligned"):
            return "accel_misaligned_row"
        if row["quirk"]:
            return "accel_" + row["quirk"]
        if source is not None and all(source is not p for p in self.model.received):
            # The reading came in a packet BrainFlow never took in (each for its reason).
            why = self.why_not_in_brainflow(source)
            return why and "accel_" + why
        if self.daisy and source is not None and source["index"] == row["board"]["index"] + 1:
            return "accel_pairing"
        if self.daisy and row["last_packet"] not in sources:
            return "accel_lost_pair_half"
        return None

    def expected_accel(self, frames):
        """Frame index -> the packets whose reading EEGKit's frame may hold: the last
        reading in a packet of this frame or an earlier one. A reading in a Daisy half
        EEGKit drops (its partner was lost) may be kept or not: both are allowed until
        the next reading."""
        by_index = {p["index"]: p for p in self.packets}
        expected, sources = {}, []
        for p in self.packets:
            if not self.daisy:
                if p["accel"]:
                    sources = [p]
                if sources and p["index"] in frames:
                    expected[p["index"]] = list(sources)
                continue
            partner = by_index.get(p["index"] + (1 if p["number"] % 2 == 1 else -1))
            framed = partner is not None and (p["index"] // 2 if p["number"] % 2 == 1 else partner["index"] // 2) in frames
            if p["accel"]:
                sources = [p] if framed else sources + [p]
            if framed and p["number"] % 2 == 0 and sources:
                expected[partner["index"] // 2] = list(sources)
        return expected


def scaled(counts):
    return [ACCEL_SCALE * v for v in counts]


def close(got, want):
    """Float32 values printed by EEGKit against doubles: within a float32 rounding."""
    return got is not None and len(got) == len(want) and all(
        g is not None and abs(g - w) <= 1e-7 * max(1.0, abs(w)) for g, w in zip(got, want))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--truth", required=True)
    parser.add_argument("--stream", required=True, help="the stream's bytes (cyton_stream.py --out)")
    parser.add_argument("--brainflow")
    parser.add_argument("--brainflow-rows", action="store_true", help="print how many rows BrainFlow's reading gives, and stop")
    parser.add_argument("--eeg", action="append", default=[], help="an `eeg stream --emit samples --format csv` output")
    parser.add_argument("--eeg-log", action="append", default=[], help="the standard error of the --eeg of the same rank")
    args = parser.parse_args()
    with open(args.truth) as fh:
        truth = json.load(fh)
    with open(args.stream, "rb") as fh:
        stream = fh.read()
    if args.brainflow_rows:
        print(len(BrainFlowModel(stream, truth["packets"], truth["daisy"]).rows))
        return
    with open(args.brainflow) as fh:
        brainflow = json.load(fh)
    comparison = Comparison(truth, stream, brainflow, args.eeg, args.eeg_log)
    report = comparison.report
    report["conventions"] = {key: CONVENTIONS[key] for key in report["explained"]}
    json.dump(report, sys.stdout, indent=1)
    print()
    sys.exit(1 if report["unexplained"] else 0)


if __name__ == "__main__":
    main()
