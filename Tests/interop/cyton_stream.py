#!/usr/bin/env python3
"""Writes a Cyton packet stream, deterministically from a seed, and its ground truth: the
bytes EEGKit and BrainFlow are both fed in the BrainFlow comparison (issue 12, part 4).

The stream is what the board sends after `b`: 33-byte packets (0xA0, sample number,
8 x 24-bit big-endian signed counts, 6 aux bytes, footer). Every packet ends with 0xC0
(the accelerometer format): at 25 Hz of board time (every 10th sample at 250 Hz) the aux
bytes carry an accelerometer reading (3 x int16 big-endian, 0.002/16 g per count), and in
the packets between they are zero, as the firmware sends them. With --daisy the numbers
alternate between the board's channels 1-8 and the Daisy's 9-16.

Faults, each at least once at a fixed place and more at random:
  counter gaps   sample numbers the board skipped (odd and even lengths, so with a Daisy
                 a board half and a Daisy half are each lost alone)
  garbage        bytes other than 0xA0 between two packets
  torn packet    the first bytes of a packet whose rest never arrived (no 0xA0 after its
                 header, and the byte of the next packet where its footer would be is not
                 a footer). The packet after a torn one carries no 0xA0 after its header,
                 so a reader that throws away 33 bytes at a bad footer (BrainFlow) skips
                 exactly that packet and finds the one after it: the outcome is fixed.
  accel x = 0    one accelerometer reading whose x is 0 (y and z are not)
  misaligned     once, a torn packet whose next packet has a 0xA0 byte among its counts,
                 at or after where a 33-byte read from the torn header ends, and the packet
                 after that a footer-like byte (0xC3) 32 bytes further on: a reader that
                 throws away a whole bad read resynchronises on that 0xA0 and finds a
                 "packet" made of the two packets' bytes

The first packet is number 0, as the firmware numbers the first one after `b` (with a
Daisy: a Daisy half); --first starts elsewhere.

Usage: cyton_stream.py --seed 7 --packets 1500 [--daisy] [--first N] --out stream.bin --truth truth.json
The truth lists, in stream order, every packet (number, counts, accel counts or null,
byte range, whether it follows a torn packet), the torn packets and garbage bursts."""
import argparse
import json
import random

HEADER, FOOTER = 0xA0, 0xC0
ACCEL_EVERY = 10            # 250 Hz / 25 Hz


def packet_bytes(number, counts, accel):
    body = bytes([HEADER, number & 0xFF])
    for value in counts:
        body += (value & 0xFFFFFF).to_bytes(3, "big")
    aux = b"".join((v & 0xFFFF).to_bytes(2, "big") for v in accel) if accel else bytes(6)
    return body + aux + bytes([FOOTER])


def counts_of(data):
    """The 8 signed 24-bit counts of a packet's bytes."""
    return [int.from_bytes(data[2 + 3 * i:5 + 3 * i], "big", signed=True) for i in range(8)]


class Stream:
    def __init__(self, seed, packets, daisy, first):
        self.rng = random.Random(seed)
        self.stream = bytearray()
        self.truth = {"seed": seed, "daisy": daisy, "packets": [], "torn": [], "garbage": [], "gaps": []}
        self.generate(packets, first)

    def counts(self):
        roll = self.rng.random()
        if roll < 0.02:
            return self.rng.choice([-(2 ** 23), 2 ** 23 - 1, 0, -1, 1])
        return self.rng.randint(-(2 ** 23), 2 ** 23 - 1)

    def accel(self, tick, zero_x):
        if tick % ACCEL_EVERY != 0:
            return None
        x = 0 if zero_x else self.rng.choice([-1, 1]) * self.rng.randint(1, 16000)
        return [x, self.rng.randint(-16000, 16000) or 1, self.rng.randint(-16000, 16000) or 1]

    def make(self, number, tick, zero_x, clean):
        """A packet; `clean`: no 0xA0 after its header (the packet after a torn one)."""
        for _ in range(1000):
            counts = [self.counts() for _ in range(8)]
            accel = self.accel(tick, zero_x)
            data = packet_bytes(number, counts, accel)
            if not clean or HEADER not in data[1:]:
                return counts, accel, data
        raise RuntimeError("no packet without 0xA0 found")

    def torn_prefix(self, number, following, shortest=2):
        for _ in range(1000):
            length = self.rng.randint(shortest, 32)
            body = bytes([HEADER, number]) + bytes(self.rng.choice([b for b in range(256) if b != HEADER]) for _ in range(31))
            if not 0xC0 <= following[32 - length] <= 0xC6:
                return body[:length]
        raise RuntimeError("no torn prefix found")

    def generate(self, packets, first):
        rng = self.rng
        number = first
        tick = rng.randrange(ACCEL_EVERY)       # where the 25 Hz accelerometer phase starts
        forced = {packets // 10: "gap1", packets // 5: "garbage", 3 * packets // 10: "torn",
                  2 * packets // 5: "gap2", packets // 2: "torn", 3 * packets // 5: "gap3", 7 * packets // 10: "misaligned"}
        zero_x_done = False
        plant = None                 # where the packet after a misaligned one gets its 0xC3
        for emitted in range(packets):
            event = forced.get(emitted)
            if event is None and 0 < emitted < packets - 20 and plant is None:
                roll = rng.random()
                event = "gap" if roll < 0.01 else "garbage" if roll < 0.03 else "torn" if roll < 0.04 else None
            if event in ("torn", "misaligned") and HEADER in (number, (number + 1) & 0xFF):
                event = "gap"               # a sample number 0xA0 cannot be torn as described
            if event and event.startswith("gap"):
                skip = {"gap": 0, "gap1": 1, "gap2": 2, "gap3": 5}[event] or rng.choice([1, 1, 2, 3, 4, 7, 30])
                self.truth["gaps"].append({"before_packet": emitted, "skipped_numbers": skip})
                number, tick = (number + skip) & 0xFF, tick + skip
            if event == "garbage":
                burst = bytes(rng.choice([b for b in range(256) if b != HEADER]) for _ in range(rng.randint(1, 90)))
                self.truth["garbage"].append({"offset": len(self.stream), "bytes": len(burst)})
                self.stream += burst
            torn_number = None
            if event in ("torn", "misaligned"):
                torn_number = number
                number, tick = (number + 1) & 0xFF, tick + 1
            zero_x = not zero_x_done and emitted >= packets // 3 and tick % ACCEL_EVERY == 0
            zero_x_done = zero_x_done or zero_x
            counts, accel, data = self.make(number, tick, zero_x, clean=torn_number is not None)
            if plant is not None:
                data = data[:plant] + bytes([0xC3]) + data[plant + 1:]
                counts, plant = counts_of(data), None
            if torn_number is not None:
                torn = self.torn_prefix(torn_number, data, shortest=8 if event == "misaligned" else 2)
                if event == "misaligned":
                    # The 0xA0 in the counts, where a 33-byte read from the torn header has
                    # ended (and never where the decoder checks the torn packet's footer).
                    spot = rng.randint(max(33 - len(torn), 3), 25)
                    data = data[:spot] + bytes([HEADER]) + data[spot + 1:]
                    counts, plant = counts_of(data), spot - 1
                    self.truth["misaligned"] = {"offset": len(self.stream) + len(torn) + spot}
                self.truth["torn"].append({"offset": len(self.stream), "bytes": len(torn), "number": torn_number})
                self.stream += torn
            self.truth["packets"].append({"number": number, "counts": counts, "accel": accel,
                                          "start": len(self.stream), "end": len(self.stream) + len(data),
                                          "after_torn": torn_number is not None})
            self.stream += data
            number, tick = (number + 1) & 0xFF, tick + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--packets", type=int, default=1500)
    parser.add_argument("--daisy", action="store_true")
    parser.add_argument("--first", type=int, default=0, choices=range(256), metavar="0..255", help="the first sample number")
    parser.add_argument("--out", required=True, help="the stream's bytes")
    parser.add_argument("--truth", required=True, help="its ground truth (JSON)")
    args = parser.parse_args()
    stream = Stream(args.seed, args.packets, args.daisy, args.first)
    with open(args.out, "wb") as fh:
        fh.write(stream.stream)
    with open(args.truth, "w") as fh:
        json.dump(stream.truth, fh)


if __name__ == "__main__":
    main()
