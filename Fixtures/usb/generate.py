#!/usr/bin/env python3
"""Writes the umockdev fixtures for EEGKit's libusb path: a recorded FTDI dongle
(cyton.umockdev) and usbmon captures (link type 220) of whole Cyton sessions, exactly as
EEGKit's driver conducts them, for `umockdev-run -p` replay:

  session.pcap       open, FTDI setup, s, purge, v -> banner $$$, 8 bulk IN transfers in
                     flight, b, 3000 Cyton packets split at arbitrary byte offsets over
                     64-byte FTDI packets (each with its 2 status bytes) and transfers,
                     then s and the cancellation of the transfers still in flight.
  unplug.pcap        the same start, 400 packets, then a transfer completing with
                     -ESHUTDOWN (-108): the dongle was pulled out.
  replug.pcap        300 packets, -ESHUTDOWN, then the dongle is back: the driver's whole
                     reconnection (FTDI setup, s, purge, v, banner, transfers, b) and
                     200 more packets whose counter starts elsewhere, then s.
  session.json       the expected µV of every frame of session.pcap (and how many frames
                     unplug.pcap delivers), computed here from the counts.

The sequence mirrors Sources/EEGDevices (FTDITransport.setup, CytonDriver.configure);
change both together. Deterministic: rerun only when the sequence changes.
"""
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
BUS, DEV = 1, 2
EINPROGRESS, ESHUTDOWN = -115, -108
TRANSFERS_IN_FLIGHT, TRANSFER_SIZE = 8, 512

# FTDITransport.setup: (request, value, index)
FTDI_SETUP = [(0x00, 0x0000, 1), (0x09, 0x0001, 1), (0x03, 0x001A, 0), (0x04, 0x0008, 1),
              (0x02, 0x0000, 1), (0x01, 0x0101, 1), (0x01, 0x0202, 1), (0x00, 0x0001, 1), (0x00, 0x0002, 1)]
PURGE_RX = (0x00, 0x0001, 1)
STATUS = bytes([0x01, 0x60])  # FTDI modem status, sent before every 64-byte packet's payload
BANNER = b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$"

UMOCKDEV = """P: /devices/usb1/1-1
N: bus/usb/001/002
E: SUBSYSTEM=usb
E: DEVTYPE=usb_device
E: DEVNAME=/dev/bus/usb/001/002
A: busnum=1\\n
A: devnum=2\\n
A: speed=12\\n
A: serial=DM00EEGK\\n
A: bConfigurationValue=1\\n
H: descriptors=12010002000000080304156000100102030109022000010100A02D0904000002FFFFFF020705810240000007050202400000
"""


class Capture:
    def __init__(self):
        self.records = []
        self.urb = 0x1000
        self.t = 0

    def _record(self, urb, kind, xfer, ep, status, length, data=b"", setup=None, flag_data=0):
        self.t += 50
        header = struct.pack("<QBBBBHbbqiiII8siiII", urb, ord(kind), xfer, ep, DEV, BUS,
                             0 if setup is not None else ord("-"), flag_data,
                             self.t // 1_000_000, self.t % 1_000_000, status, length, len(data),
                             setup or bytes(8), 0, 0, 0, 0)
        self.records.append((self.t, header + data))

    def new_urb(self):
        self.urb += 1
        return self.urb

    def control_out(self, request, value, index):
        urb = self.new_urb()
        setup = struct.pack("<BBHHH", 0x40, request, value, index, 0)
        self._record(urb, "S", 2, 0x00, EINPROGRESS, 0, setup=setup, flag_data=ord("<"))
        self._record(urb, "C", 2, 0x00, 0, 0, flag_data=ord(">"))

    def bulk_out(self, data):
        urb = self.new_urb()
        self._record(urb, "S", 3, 0x02, EINPROGRESS, len(data), data=data)
        self._record(urb, "C", 3, 0x02, 0, len(data), flag_data=ord(">"))

    def submit_in(self):
        urb = self.new_urb()
        self._record(urb, "S", 3, 0x81, EINPROGRESS, TRANSFER_SIZE, flag_data=ord("<"))
        return urb

    def complete_in(self, urb, data, status=0):
        self._record(urb, "C", 3, 0x81, status, len(data), data=data)

    def write(self, path):
        with open(path, "wb") as fh:
            fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 220))
            for t, body in self.records:
                fh.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(body), len(body)))
                fh.write(body)


def ftdi_packets(payload):
    """The USB data of one bulk IN transfer carrying `payload` (≤ 8 × 62 bytes)."""
    out = b""
    for i in range(0, max(len(payload), 1), 62):
        out += STATUS + payload[i:i + 62]
    return out


def counts(i):
    return [((i * 7919 + c * 104729) % 8_000_000) - 4_000_000 for c in range(8)]


def cyton_packet(number, values):
    body = bytes([0xA0, number & 0xFF])
    for v in values:
        body += (v & 0xFFFFFF).to_bytes(3, "big")
    return body + bytes(6) + bytes([0xC0])


def microvolts(values):
    import numpy as np
    return [float(np.float32(v * 4.5 / 24 / (2 ** 23 - 1) * 1e6)) for v in values]


def session(frames, rng, unplug=False, cap=None, first_packet=0, number_offset=0):
    cap = cap or Capture()
    # CytonDriver.configure over FTDITransport (opened: claim is an ioctl, not a URB)
    for request, value, index in FTDI_SETUP:
        cap.control_out(request, value, index)
    cap.bulk_out(b"s")
    cap.control_out(*PURGE_RX)
    cap.bulk_out(b"v")
    urb = cap.submit_in()                       # one synchronous read returns the banner
    cap.complete_in(urb, ftdi_packets(BANNER))
    # CytonDriver.startStreaming: transfers in flight first, then b
    pending = [cap.submit_in() for _ in range(TRANSFERS_IN_FLIGHT)]
    cap.bulk_out(b"b")
    stream = b"".join(cyton_packet(number_offset + i, counts(first_packet + i)) for i in range(frames))
    offset = 0
    while offset < len(stream):
        # A transfer ends with a short packet or when 8 packets fill it: split the Cyton
        # stream at arbitrary offsets.
        full_packets = rng.randint(0, 7)
        tail = rng.randint(0, 61)
        size = min(full_packets * 62 + tail, len(stream) - offset)
        chunk = stream[offset:offset + size]
        offset += size
        urb = pending.pop(0)
        cap.complete_in(urb, ftdi_packets(chunk))
        pending.append(cap.submit_in())        # the driver resubmits at once
    if unplug:
        cap.complete_in(pending.pop(0), b"", status=ESHUTDOWN)
        return cap                              # the rest are cancelled (discards answered by umockdev)
    cap.bulk_out(b"s")                          # CytonDriver.stop: s first
    # The transfers still in flight are then cancelled: umockdev answers the discards
    # itself, so they have no records here.
    return cap


def main():
    rng = random.Random(20261126)
    with open(os.path.join(HERE, "cyton.umockdev"), "w") as fh:
        fh.write(UMOCKDEV)
    frames = 3000
    session(frames, rng).write(os.path.join(HERE, "session.pcap"))
    session(400, rng, unplug=True).write(os.path.join(HERE, "unplug.pcap"))
    replug = session(300, rng, unplug=True)
    session(200, rng, cap=replug, first_packet=300, number_offset=77).write(os.path.join(HERE, "replug.pcap"))
    with open(os.path.join(HERE, "session.json"), "w") as fh:
        json.dump({"generated_by": "Fixtures/usb/generate.py", "frames": frames, "unplug_frames": 400,
                   "replug_frames": [300, 200],
                   "serial": "DM00EEGK",
                   "microvolts": [microvolts(counts(i)) for i in range(frames)]}, fh)


if __name__ == "__main__":
    main()
