#!/usr/bin/python3
"""A live Cyton dongle for umockdev: a UMockdev.IoctlBase that answers libusb's usbfs
ioctls itself, with a paced Cyton board behind an FT231X, and runs `eeg` against it.

Unlike a pcap replay, which fills a bulk IN buffer only when the URB is reaped, this
device delivers data as early as the usbfs contract allows: an IN URB is filled *at
SUBMITURB time* whenever the board has produced data. A driver that resubmits a
transfer before it has consumed the transfer's buffer therefore reads the *next*
transfer's data — exactly what happens on platforms and with buffers where the host
controller writes into the buffer directly.

The board streams 33-byte Cyton packets (0xA0, sample number, 8 x 24-bit big-endian
signed counts, 6 aux bytes, footer 0xC0) from a seeded generator at a chosen rate; the aux
bytes hold an accelerometer reading (3 x int16 big-endian) every 10 packets, zeros between.
The FTDI side splits the byte stream into 64-byte USB packets, each starting with the
2 modem-status bytes, with random payload lengths; a short packet ends a transfer, as
on the wire. When the board has nothing to send, the oldest waiting transfer completes
with a status-only packet after a latency period (as the FT231X's latency timer does).

Faults the script can inject (all recorded in the ground truth written to --out):
  radio gaps       sample numbers the board skipped (the decoder must report them)
  garbage bursts   random bytes other than 0xA0 between packets (the decoder must skip
                   exactly those bytes; no sample may be lost)
  torn packets     the first bytes of a packet whose rest never arrived (its sample is
                   lost: a gap of one, and exactly the torn bytes skipped)
  unplug           pending URBs complete with -ESHUTDOWN, ENODEV afterwards, the device
                   is removed (uevent); optionally plugged back in later
  transfer error   pending IN URBs complete with -EPIPE (stall) or -EPROTO
  stuck cancel     DISCARDURB is acknowledged but the URB never comes back
  start failure    the bulk OUT carrying `b` fails with -EPIPE
  claim busy       CLAIMINTERFACE fails with EBUSY (another program has the dongle)

Scenario record-raw runs `eeg record --raw-capture` instead of `eeg stream`.

With --stream-file (scenario stream) the board sends that file's bytes instead of a
generated session, 33 bytes at a time at --rate, and eeg stops after --samples frames:
the BrainFlow comparison feeds the dongle the very bytes BrainFlow read over a pty
(Tests/interop/cyton_stream.py). --eeg-arg adds arguments (e.g. --daisy) to eeg.

The board answers channel settings (`x CH POWER GAIN INPUT BIAS SRB2 SRB1 X`) with
`Success: Channel set for N$$$` and lead-off settings (`z CH P N Z`) with `Success: Lead
off set for N$$$`, as firmware v3 does when not streaming. Scenario impedance runs `eeg
impedance`: after `b` the board streams zeros except on the channel whose N-input drive
is on, which carries the 6 nA, 31.25 Hz drive across --ohms[channel] + 2.2 kOhm (a sine
of peak 6 nA x (Z + 2.2 kOhm)) over an electrode offset and 10 Hz EEG, in counts at the
channel's gain. Scenario devices runs `eeg devices --check --json` (--daisy-banner: the
banner has the Daisy's device-ID line). Each board
session's bytes are written beside --out (OUT.session0.bin, ...).

Usage (under umockdev-wrapper, with Debian's /usr/bin/python3, python3-gi and
gir1.2-umockdev-1.0):

  umockdev-wrapper /usr/bin/python3 cyton_dongle.py --eeg PATH --scenario stream \
      --rate 1000 --seed 7 --out result.json

The result holds eeg's status, stdout and stderr, the device's log of what it was asked
to do, and the ground truth of every board session: each packet's sample number, counts
and µV (float32), its byte range in the board's stream, the garbage and torn bytes, and
how many bytes of the stream reached the host in transfers that completed normally."""
import argparse
import json
import math
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from fractions import Fraction

import gi
gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "Fixtures", "usb", "cyton.umockdev")) as fh:
    DEVICE = fh.read()
SYSFS = "/sys/devices/usb1/1-1"
NODE = "/dev/bus/usb/001/002"

# x86_64 request numbers from <linux/usbdevice_fs.h>
SUBMITURB, DISCARDURB, REAPURB, REAPURBNDELAY = 0x8038550A, 0x550B, 0x4008550C, 0x4008550D
CLAIM, RELEASE, GETDRIVER, CAPS = 0x8004550F, 0x80045510, 0x41045508, 0x8004551A
CLEAR_HALT, RESET, RESETEP = 0x80045515, 0x5514, 0x80045503
NAMES = {SUBMITURB: "SUBMITURB", DISCARDURB: "DISCARDURB", REAPURB: "REAPURB", REAPURBNDELAY: "REAPURBNDELAY",
         CLAIM: "CLAIMINTERFACE", RELEASE: "RELEASEINTERFACE", GETDRIVER: "GETDRIVER", CAPS: "GET_CAPABILITIES",
         CLEAR_HALT: "CLEAR_HALT", RESET: "RESET", RESETEP: "RESETEP"}
# USBDEVFS_CAP_ZERO_PACKET | BULK_CONTINUATION | NO_PACKET_SIZE_LIM | REAP_AFTER_DISCONNECT
CAPABILITIES = 0x01 | 0x02 | 0x04 | 0x10
ENOENT, EAGAIN, EBUSY, ENODEV, EINVAL, ENOTTY, EPIPE, ENODATA, EPROTO, ESHUTDOWN = 2, 11, 16, 19, 22, 25, 32, 61, 71, 108
URB_CONTROL, URB_BULK = 2, 3

STATUS = bytes([0x01, 0x60])  # FT231X modem status: the first 2 bytes of every USB packet
BANNER = b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$"
DAISY_BANNER = (b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nOn Daisy ADS1299 Device ID: 0x3E\n"
                b"LIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$")
LATENCY = 0.001               # a waiting transfer gets a status-only packet after this long


def microvolts(count):
    """count x 4.5 V / 24 / (2^23 - 1) x 10^6, computed exactly and rounded once to the
    nearest float32 (the decoder's contract)."""
    exact = Fraction(count * 45 * 10 ** 6, 10 * 24 * (2 ** 23 - 1))
    return struct.unpack("<f", struct.pack("<f", float(exact)))[0]


def cyton_packet(number, counts, aux, footer):
    body = bytes([0xA0, number & 0xFF])
    for v in counts:
        body += (v & 0xFFFFFF).to_bytes(3, "big")
    return body + aux + bytes([footer])


class BoardSession:
    """One run of the board between `b` and `s`: a script of timed items, generated up
    front from the seed, and the ground truth of what it emitted."""

    def __init__(self, rng, rate, packets, faults, pause_before_last, board_mode="0"):
        self.rate = rate
        first_number = rng.randrange(256)
        self.items = []            # (due time in seconds from start, bytes)
        self.truth = {"first_number": first_number, "rate": rate, "packets": [], "garbage": [], "torn": [],
                      "radio_gaps": [], "delivered_bytes": 0, "stream_bytes": 0}
        self.stream = bytearray()
        self.started = None
        self.position = 0          # next item to emit
        self.sent = 0              # bytes emitted so far
        number = first_number
        tick = 0
        emitted = 0
        torn_pending = None
        while emitted < packets:
            last = emitted == packets - 1
            if faults and emitted > 0 and not last and emitted < packets - 40:
                roll = rng.random()
                if roll < 0.02:
                    # Radio gap: the board's packets were lost in the air.
                    skip = rng.choice([1, 1, 2, 3, 7, 30, 200])
                    self.truth["radio_gaps"].append({"after_packet": emitted - 1, "skipped_numbers": skip})
                    number = (number + skip) & 0xFF
                    tick += skip
                elif roll < 0.05:
                    burst = bytes(rng.choice([b for b in range(256) if b != 0xA0]) for _ in range(rng.randint(1, 90)))
                    self.truth["garbage"].append({"offset": len(self.stream), "bytes": len(burst)})
                    self.emit(tick, burst)
                elif roll < 0.07:
                    torn_pending = number
                    number = (number + 1) & 0xFF
                    tick += 1
            counts = [self.count(rng) for _ in range(8)]
            # The accelerometer, read every 10 packets (25 Hz at 250); zeros in between.
            # In analog mode (`/2`): A5, A6, A7 as 10-bit reads in every packet, footer 0xC1.
            accel = None
            analog = None
            if board_mode == "2":
                analog = [rng.randint(0, 1023) for _ in range(3)]
            elif emitted % 10 == 3:
                accel = [rng.choice([-1, 1]) * rng.randint(1, 32767), rng.randint(-32768, 32767), rng.randint(-32768, 32767)]
            aux = b"".join((v & 0xFFFF).to_bytes(2, "big") for v in (analog or accel or [0, 0, 0]))
            packet = cyton_packet(number, counts, aux, 0xC1 if analog else 0xC0)
            if torn_pending is not None:
                torn = self.torn_prefix(rng, torn_pending, packet)
                if torn:
                    self.truth["torn"].append({"offset": len(self.stream), "bytes": len(torn), "number": torn_pending})
                    self.emit(tick - 1, torn)
                else:
                    # No tear was possible without making the outcome ambiguous: the
                    # packet was simply lost (a radio gap of one).
                    self.truth["radio_gaps"].append({"after_packet": emitted - 1, "skipped_numbers": 1})
                torn_pending = None
            if last and pause_before_last:
                tick += int(pause_before_last * rate)
            start = len(self.stream)
            self.emit(tick, packet)
            self.truth["packets"].append({"number": number, "counts": counts, "accel": accel, "analog": analog,
                                          "microvolts": [microvolts(c) for c in counts],
                                          "start": start, "end": len(self.stream)})
            number = (number + 1) & 0xFF
            tick += 1
            emitted += 1
        self.truth["stream_bytes"] = len(self.stream)

    @staticmethod
    def count(rng):
        roll = rng.random()
        if roll < 0.02:
            return rng.choice([-(2 ** 23), 2 ** 23 - 1, 0, -1, 1])
        return rng.randint(-(2 ** 23), 2 ** 23 - 1)

    @staticmethod
    def torn_prefix(rng, number, following):
        """The first bytes of a packet numbered `number`, chosen so that the decoder's
        outcome is fixed: no 0xA0 after the header (it resynchronises at the following
        packet's header), and the byte of the following packet that lands where a footer
        would be is not one."""
        whole = cyton_packet(number, [rng.randint(-(2 ** 23), 2 ** 23 - 1) for _ in range(8)], bytes(6), 0xC0)
        for _ in range(20):
            length = rng.randint(2, 32)
            if 0xA0 not in whole[1:length] and not 0xC0 <= following[32 - length] <= 0xC6:
                return whole[:length]
        return None

    def emit(self, tick, data):
        self.items.append((tick / self.rate, bytes(data)))
        self.stream += data

    def start(self, now):
        self.started = now

    def due(self, now):
        """Bytes whose time has come."""
        out = bytearray()
        elapsed = now - self.started
        while self.position < len(self.items) and self.items[self.position][0] <= elapsed:
            out += self.items[self.position][1]
            self.position += 1
        self.sent += len(out)
        return out

    @property
    def finished(self):
        return self.position == len(self.items)


class FileSession(BoardSession):
    """The bytes of a file, 33 at a time at `rate` chunks per second (no ground truth of
    its own: the file's writer has it)."""

    def __init__(self, path, rate):
        self.rate = rate
        self.items = []
        self.truth = {"first_number": 0, "rate": rate, "packets": [], "garbage": [], "torn": [],
                      "radio_gaps": [], "delivered_bytes": 0, "stream_bytes": 0, "file": path}
        self.stream = bytearray()
        self.started = None
        self.position = 0
        self.sent = 0
        with open(path, "rb") as fh:
            data = fh.read()
        for tick, offset in enumerate(range(0, len(data), 33)):
            self.emit(tick, data[offset:offset + 33])
        self.truth["stream_bytes"] = len(self.stream)


class LeadOffSession(BoardSession):
    """The board streaming with one channel's lead-off drive on (or none): packets of
    zeros but for that channel, numbered on from the previous session."""

    def __init__(self, args, channel, gains, first):
        self.rate = args.rate
        self.items = []
        self.truth = {"first_number": first % 256, "rate": args.rate, "packets": [], "garbage": [], "torn": [],
                      "radio_gaps": [], "delivered_bytes": 0, "stream_bytes": 0, "lead_off": channel}
        self.stream = bytearray()
        self.started = None
        self.position = 0
        self.sent = 0
        for n in range(first, first + args.packets):
            counts = [0] * 8
            if channel is not None and channel <= 8:
                t = n / 250
                peak = 6e-9 * (args.ohms[channel - 1] + 2200) * 1e6
                uv = 2000 + peak * math.sin(2 * math.pi * 31.25 * t) + 30 * math.sin(2 * math.pi * 10 * t)
                counts[channel - 1] = round(uv / (4.5 / gains[channel - 1] / (2 ** 23 - 1) * 1e6))
            self.emit(n - first, cyton_packet(n, counts, bytes(6), 0xC0))
            self.truth["packets"].append({"number": n & 0xFF, "counts": counts, "microvolts": [], "start": 0, "end": 0})
        self.truth["stream_bytes"] = len(self.stream)


class Fifo:
    """The FT231X's receive buffer: bytes in arrival order, each chunk tagged with the
    board session that produced it (None: a reply such as the banner), so the ground
    truth counts exactly the stream bytes that went into transfers."""

    def __init__(self):
        self.chunks = deque()        # [owner, bytearray]
        self.size = 0

    def __len__(self):
        return self.size

    def put(self, owner, data):
        if data:
            self.chunks.append([owner, bytearray(data)])
            self.size += len(data)

    def take(self, count):
        out = bytearray()
        while count > 0:
            owner, data = self.chunks[0]
            n = min(count, len(data))
            out += data[:n]
            del data[:n]
            if owner is not None:
                # Stream bytes in a transfer that completes normally reach the host.
                owner.truth["delivered_bytes"] += n
            if not data:
                self.chunks.popleft()
            count -= n
            self.size -= n
        return out

    def clear(self):
        self.chunks.clear()
        self.size = 0


class Urb:
    def __init__(self, data, kind, endpoint, length, buffer):
        self.data = data            # the usbdevfs_urb in the client, as IoctlData
        self.kind = kind
        self.endpoint = endpoint
        self.length = length
        self.buffer = buffer        # the buffer it points to, as IoctlData
        self.filled = False

    def finish(self, status, actual):
        self.data.update(4, list(struct.pack("<i", status)))
        self.data.update(28, list(struct.pack("<i", actual)))


class Client:
    """One open file descriptor of the device node (libusb_open ... libusb_close)."""

    def __init__(self, number):
        self.number = number
        self.pending = deque()       # bulk IN URBs waiting for data, oldest first
        self.completed = deque()     # URBs ready to reap, in completion order
        self.stuck = []              # discarded URBs that never come back (scenario stuck-cancel)
        self.gone = False            # unplugged while open: ENODEV from now on
        self.halted = None           # errno the IN endpoint fails with (stall/error scenario)


class Dongle:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.lock = threading.RLock()
        self.log = []
        self.counts = {}
        self.clients = {}
        self.fifo = Fifo()
        self.sessions = []
        self.board = None            # the streaming BoardSession, or None
        self.present = True
        self.unplugs = 0
        self.errors_injected = 0
        self.last_status = 0.0
        self.events = deque()        # work for the controller thread: "unplug"
        self.fault_at = None
        self.idle_since = None
        self.idle_progress = None
        self.pending = []            # a multi-byte command being received
        self.commands = []           # the x...X and z...Z commands, in order
        self.gains = [24] * 16
        self.board_mode = "0"        # as last set with /N (0, the default, after a reset)
        self.lead_off = None         # the channel whose N-input drive is on
        self.generated = 0           # packets the lead-off sessions produced
        # How hard the host was pushed: transfers filled, those whose own buffer was
        # written while SUBMITURB ran, the distinct transfer lengths seen.
        self.stats = {"in_transfers": 0, "filled_at_submit": 0, "payload_bytes_in_transfers": 0,
                      "transfer_lengths": set()}

    # --- the scenario's plan -------------------------------------------------------

    def fault_point(self):
        """How many bytes of the first session reach the host before the fault."""
        total = len(self.sessions[0].stream)
        return self.rng.randint(total // 4, 3 * total // 4)

    # --- board -----------------------------------------------------------------------

    def command(self, byte, now):
        c = chr(byte)
        if self.pending or c in "xz/":
            self.multibyte(byte)
            return
        if c == "v":
            self.board = None
            self.gains = [24] * 16
            self.board_mode = "0"
            self.lead_off = None
            self.fifo.put(None, DAISY_BANNER if self.args.daisy_banner else BANNER)
        elif c == "b" and self.args.scenario == "impedance":
            session = LeadOffSession(self.args, self.lead_off, self.gains, self.generated)
            self.generated += len(session.truth["packets"])
            session.start(now)
            self.sessions.append(session)
            self.board = session
        elif c == "b":
            session = board_session(self.args, len(self.sessions), self.board_mode)
            session.start(now)
            self.sessions.append(session)
            self.board = session
            if len(self.sessions) == 1 and self.args.scenario in ("unplug", "replug", "error"):
                self.fault_at = self.fault_point()
        elif c == "s":
            self.board = None
        elif c == "C":
            # The firmware's answers to attaching a Daisy: with one (the banner names it), or not.
            self.fifo.put(None, b"16$$$" if self.args.daisy_banner else b"no daisy to attach!8$$$")

    def multibyte(self, byte):
        """Collects `x...X` (9 bytes), `z...Z` (5 bytes) and `/N` (2), then applies and answers it."""
        self.pending.append(byte)
        length = {ord("x"): 9, ord("/"): 2}.get(self.pending[0], 5)
        if len(self.pending) < length:
            return
        command, self.pending = bytes(self.pending), []
        if command[0] == ord("/"):
            # Firmware v3.1's answer to a board mode command.
            self.board_mode = chr(command[1])
            names = {"0": "default", "1": "debug", "2": "analog", "3": "digital", "4": "marker"}
            self.fifo.put(None, b"Success: %s$$$" % names.get(self.board_mode, "?").encode())
            return
        self.commands.append(command.decode("latin-1"))
        channel = "12345678QWERTYUI".index(chr(command[1])) + 1
        if command[0] == ord("x"):
            self.gains[channel - 1] = [1, 2, 4, 6, 8, 12, 24][command[3] - ord("0")]
            self.fifo.put(None, b"Success: Channel set for %d$$$" % channel)
        else:
            if command[3] == ord("1"):
                self.lead_off = channel
            elif self.lead_off == channel:
                self.lead_off = None
            self.fifo.put(None, b"Success: Lead off set for %d$$$" % channel)

    def produce(self, now):
        if self.board is not None:
            self.fifo.put(self.board, self.board.due(now))

    def purge(self):
        self.fifo.clear()

    # --- FTDI bulk IN ------------------------------------------------------------------

    def fill(self, urb):
        """Fills `urb` from the FIFO in USB packets of random length (a short packet
        ends the transfer), writing into the client's buffer now. Returns the length."""
        out = bytearray()
        room = urb.length
        taken = 0
        while room >= 2:
            payload_room = min(64, room) - 2
            want = payload_room if self.rng.random() < 0.7 else self.rng.randint(0, payload_room - 1)
            take = min(want, len(self.fifo))
            out += STATUS + self.fifo.take(take)
            taken += take
            room -= 2 + take
            if take < payload_room:
                break
        urb.buffer.update(0, list(out))
        urb.filled = True
        self.stats["in_transfers"] += 1
        self.stats["payload_bytes_in_transfers"] += taken
        self.stats["transfer_lengths"].add(len(out))
        return len(out)

    def service(self, client, now):
        """Completes waiting IN transfers: with data while the FIFO has any, else one
        status-only packet per latency period."""
        if client.gone or client.halted or not self.present:
            return
        self.produce(now)
        while client.pending and self.fifo:
            urb = client.pending.popleft()
            urb.finish(0, self.fill(urb))
            client.completed.append(urb)
            if self.check_fault(client):
                return
        if client.pending and not self.fifo and now - self.last_status >= LATENCY:
            if self.args.scenario == "stuck-cancel" and self.sessions and (self.board is None or self.board.finished):
                # Quiet once the board has said everything or was told to stop (`s`, which
                # the host sends before it cancels): every transfer then stays in flight
                # until the host cancels it, so the stop always meets stuck ones (with
                # status-only packets a slow host — AddressSanitizer, a loaded machine —
                # found them all completed between its `s` and its cancel).
                return
            urb = client.pending.popleft()
            urb.finish(0, self.fill(urb))
            client.completed.append(urb)
            self.last_status = now

    def check_fault(self, client):
        """Injects the scenario's fault once the first session delivered enough."""
        if len(self.sessions) != 1 or self.board is not self.sessions[0]:
            return False
        if self.fault_at is None or self.board.truth["delivered_bytes"] < self.fault_at:
            return False
        self.fault_at = None
        if self.args.scenario in ("unplug", "replug"):
            self.unplug()
        elif self.args.scenario == "error":
            status = -EPIPE if self.args.error == "stall" else -EPROTO
            self.log.append("IN error %d" % status)
            self.errors_injected += 1
            client.halted = status
            while client.pending:
                urb = client.pending.popleft()
                urb.finish(status, 0)
                client.completed.append(urb)
            self.board = None        # the board keeps nothing for the host; `b` restarts it
            self.purge()
        return True

    def unplug(self):
        self.log.append("unplug")
        self.unplugs += 1
        self.present = False
        self.board = None
        self.purge()
        for client in self.clients.values():
            client.gone = True
            while client.pending:
                urb = client.pending.popleft()
                urb.finish(-ESHUTDOWN, 0)
                client.completed.append(urb)
        self.events.append("unplug")

    def plug_back(self):
        with self.lock:
            self.log.append("plugged")
            self.present = True

    # --- ioctls ---------------------------------------------------------------------------

    def client_for(self, client):
        state = self.clients.get(client)
        if state is None:
            state = Client(len(self.clients))
            if not self.present:
                state.gone = True
            self.clients[client] = state
        return state

    def handle(self, handler, client):
        with self.lock:
            try:
                return self.dispatch(client)
            except Exception as error:  # a bug here must show, not hang the client
                self.log.append("handler error: %r" % error)
                client.complete(-1, EINVAL)
                return True

    def dispatch(self, client):
        request = client.get_request()
        arg = client.get_arg()
        state = self.client_for(client)
        name = NAMES.get(request, hex(request))
        self.counts[name] = self.counts.get(name, 0) + 1
        now = time.monotonic()
        if request in (REAPURB, REAPURBNDELAY):
            self.service(state, now)
            if state.completed:
                urb = state.completed.popleft()
                if os.environ.get("DONGLE_TRACE"):
                    raw = bytes(urb.data.retrieve())
                    self.log.append("reap %x status %d actual %d" % (urb.data.client_addr, struct.unpack_from("<i", raw, 4)[0], struct.unpack_from("<i", raw, 28)[0]))
                arg.resolve(0, 8).set_ptr(0, urb.data)
                client.complete(0, 0)
            elif state.gone:
                client.complete(-1, ENODEV)
            else:
                client.complete(-1, EAGAIN)
            return True
        if request == DISCARDURB:
            address = int.from_bytes(bytes(arg.retrieve())[:8], "little")
            self.log.append("DISCARDURB")
            for urb in list(state.pending):
                if urb.data.client_addr == address:
                    state.pending.remove(urb)
                    if self.args.scenario == "stuck-cancel":
                        state.stuck.append(urb)     # acknowledged, never given back
                    else:
                        urb.finish(-ENOENT, 0)
                        state.completed.append(urb)
                    client.complete(0, 0)
                    return True
            client.complete(-1, EINVAL)              # already completed: reap it
            return True
        if state.gone:
            self.log.append(name + " (gone)")
            client.complete(-1, ENODEV)
            return True
        if request == SUBMITURB:
            return self.submit(client, state, arg, now)
        if request == GETDRIVER:
            client.complete(-1, ENODATA)             # no kernel driver bound
        elif request == CAPS:
            arg.resolve(0, 4).update(0, list(struct.pack("<I", CAPABILITIES)))
            client.complete(0, 0)
        elif request == RELEASE:
            # How many of this client's URBs the host had not reaped when it let go.
            outstanding = len(state.pending) + len(state.completed) + len(state.stuck)
            self.log.append("%s (client %d, %d outstanding)" % (name, state.number, outstanding))
            client.complete(0, 0)
        elif request == CLAIM and self.args.scenario == "claim-busy":
            self.log.append("%s (client %d): EBUSY" % (name, state.number))
            client.complete(-1, EBUSY)
        elif request in (CLAIM, CLEAR_HALT, RESET, RESETEP):
            self.log.append("%s (client %d)" % (name, state.number))
            client.complete(0, 0)
        else:
            client.complete(-1, ENOTTY)
        return True

    def submit(self, client, state, arg, now):
        data = arg.resolve(0, 56)
        raw = bytes(data.retrieve())
        kind, endpoint = raw[0], raw[1]
        length = struct.unpack_from("<i", raw, 24)[0]
        buffer = data.resolve(16, length) if length > 0 else None
        urb = Urb(data, kind, endpoint, length, buffer)
        if kind == URB_CONTROL:
            setup = bytes(buffer.retrieve()[:8])
            self.log.append("control %02x %04x %04x" % (setup[1], struct.unpack_from("<H", setup, 2)[0],
                                                         struct.unpack_from("<H", setup, 4)[0]))
            if setup[0] == 0x40 and setup[1] == 0x00 and struct.unpack_from("<H", setup, 2)[0] == 1:
                self.purge()                         # purge the receive buffer
            urb.finish(0, 0)
            state.completed.append(urb)
        elif kind == URB_BULK and endpoint == 0x02:
            written = bytes(buffer.retrieve())
            self.log.append("OUT " + written.decode("latin-1"))
            if self.args.scenario == "start-fails" and b"b" in written:
                urb.finish(-EPIPE, 0)
            else:
                for byte in written:
                    self.command(byte, now)
                urb.finish(0, len(written))
            state.completed.append(urb)
        elif kind == URB_BULK and endpoint == 0x81:
            if state.halted:
                urb.finish(state.halted, 0)
                state.completed.append(urb)
            else:
                state.pending.append(urb)
                self.service(state, now)          # data now, if there is any: at submit time
                if urb.filled:
                    self.stats["filled_at_submit"] += 1
        else:
            client.complete(-1, EINVAL)
            return True
        client.complete(0, 0)
        return True

    def connected(self, handler, client):
        with self.lock:
            self.log.append("open")
            state = self.client_for(client)
            state.halted = None

    def vanished(self, handler, client):
        with self.lock:
            state = self.clients.get(client)
            self.log.append("close (client %d)" % (state.number if state else -1))


def run(args):
    testbed = UMockdev.Testbed.new()
    testbed.add_from_string(DEVICE)
    dongle = Dongle(args)
    handler = UMockdev.IoctlBase()
    handler.connect("handle-ioctl", dongle.handle)
    handler.connect("client-connected", dongle.connected)
    handler.connect("client-vanished", dongle.vanished)
    testbed.attach_ioctl(NODE, handler)

    eeg_args = ["stream", "--device", "cyton", "--emit", "samples", "--format", "csv"]
    if args.scenario == "record-raw":
        eeg_args = ["record", "--device", "cyton", "--out", args.out + ".bdf", "--raw-capture", args.out + ".raw",
                    "--emit", "samples", "--format", "csv"]
    if args.scenario == "impedance":
        eeg_args = ["impedance", "--device", "cyton", "--format", "jsonl", "--seconds", "1s"] + args.eeg_arg
    if args.scenario == "devices":
        eeg_args = ["devices", "--check", "--json"]
    if args.stream_file:
        eeg_args += args.eeg_arg + ["--samples", str(args.samples)]
    elif args.scenario in ("stream", "stuck-cancel", "start-fails", "claim-busy", "record-raw"):
        # Generated now only to know the frame count: the board session the device
        # streams is generated again, identically, on `b`.
        frames = frames_spanned(board_session(args, 0, "2" if args.aux == "analog" else "0").truth)
        if args.aux:
            eeg_args += ["--aux", args.aux]
        # record-raw stops while the board is still streaming, so transfers are full
        # when they are cancelled.
        eeg_args += ["--samples", str(frames // 2 if args.scenario == "record-raw" else frames)]
    env = dict(os.environ, UMOCKDEV_DIR=testbed.get_root_dir())
    env.update(dict(item.split("=", 1) for item in args.env))
    process = subprocess.Popen([args.eeg] + eeg_args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = {"stdout": bytearray(), "stderr": bytearray()}

    def pump(stream, key):
        for chunk in iter(lambda: os.read(stream.fileno(), 65536), b""):
            output[key] += chunk

    readers = [threading.Thread(target=pump, args=(process.stdout, "stdout"), daemon=True),
               threading.Thread(target=pump, args=(process.stderr, "stderr"), daemon=True)]
    for reader in readers:
        reader.start()

    deadline = time.monotonic() + args.timeout
    stop_sent = False
    timed_out = False
    unplugged_at = None
    while process.poll() is None:
        now = time.monotonic()
        if now > deadline:
            timed_out = True
            process.kill()
            break
        with dongle.lock:
            event = dongle.events.popleft() if dongle.events else None
        if event == "unplug":
            testbed.uevent(SYSFS, "remove")
            testbed.remove_device(SYSFS)
            unplugged_at = now
        if unplugged_at and args.scenario == "replug" and now - unplugged_at > 0.3:
            testbed.add_from_string(DEVICE)    # the ioctl handler stays attached to the node
            dongle.plug_back()
            testbed.uevent(SYSFS, "add")
            unplugged_at = None
        if not stop_sent and should_stop(args, dongle, output):
            process.send_signal(signal.SIGTERM)
            stop_sent = True
        time.sleep(0.01)
    process.wait()
    for reader in readers:
        reader.join(5)
    with dongle.lock:
        result = {
            "status": process.returncode,
            "timed_out": timed_out,
            "stdout": output["stdout"].decode("utf-8", "replace"),
            "stderr": output["stderr"].decode("utf-8", "replace"),
            "log": dongle.log,
            "ioctls": dongle.counts,
            "sessions": [s.truth for s in dongle.sessions],
            "stuck": sum(len(c.stuck) for c in dongle.clients.values()),
            "commands": dongle.commands,
            "stats": dict(dongle.stats, transfer_lengths=len(dongle.stats["transfer_lengths"])),
            "streams": [],
        }
    for i, session in enumerate(dongle.sessions):
        # Each board session's bytes, as the board sent them.
        path = "%s.session%d.bin" % (args.out, i)
        with open(path, "wb") as fh:
            fh.write(session.stream)
        result["streams"].append(path)
    with open(args.out, "w") as fh:
        json.dump(result, fh)


def board_session(args, index, board_mode="0"):
    """Board session `index` of the scenario: its own seeded generator, so the same
    arguments give the same packets whatever the host did. `board_mode` is the one the
    host set with `/N` (analog, `2`: footer 0xC1 with A5–A7 in every packet)."""
    rng = random.Random(args.seed * 7919 + index)
    if args.stream_file:
        return FileSession(args.stream_file, args.rate)
    if args.scenario == "stream":
        return BoardSession(rng, args.rate, args.packets, True, 0.3, board_mode)
    if args.scenario == "record-raw":
        return BoardSession(rng, args.rate, args.packets, True, 0)
    if args.scenario in ("unplug", "replug", "error"):
        if index == 0:
            return BoardSession(rng, args.rate, args.packets, True, 0)
        return BoardSession(rng, args.rate, args.after, False, 0)
    return BoardSession(rng, args.rate, args.packets, False, 0.3)


def frames_spanned(truth):
    """Frames from the first packet to the last, counting the lost ones."""
    total = 1
    previous = None
    for packet in truth["packets"]:
        if previous is not None:
            delta = (packet["number"] - previous) & 0xFF
            total += delta or 256
        previous = packet["number"]
    return total


def should_stop(args, dongle, output):
    """Ctrl-C for eeg, once the scenario has played out (or long after the board said
    everything it had to say, so a run that went wrong still ends with a report)."""
    with dongle.lock:
        # Idle means the board has finished and no stream byte has reached the host for
        # 5 s: under a loaded machine the host can drain the FIFO long after the board
        # finished, and a run still making progress must end by its own limit.
        session = dongle.sessions[-1] if dongle.sessions else None
        progress = session.truth["delivered_bytes"] if session else None
        if session and session.finished and progress == dongle.idle_progress:
            dongle.idle_since = dongle.idle_since or time.monotonic()
        else:
            dongle.idle_since = None
        dongle.idle_progress = progress
        if dongle.idle_since and time.monotonic() - dongle.idle_since > 5:
            return True
    text = output["stderr"].decode("utf-8", "replace")
    if args.scenario == "unplug":
        return "device reconnecting" in text and dongle.unplugs == 1
    if args.scenario in ("replug", "error"):
        with dongle.lock:
            if len(dongle.sessions) < 2 or not dongle.sessions[1].finished:
                return False
            before = frames_delivered(dongle.sessions[0].truth)
        lines = output["stdout"].count(b"\n")
        return lines >= 1 + before + args.after
    return False


def frames_delivered(truth):
    return sum(1 for p in truth["packets"] if p["end"] <= truth["delivered_bytes"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eeg", required=True)
    parser.add_argument("--scenario", required=True,
                        choices=["stream", "unplug", "replug", "error", "stuck-cancel", "start-fails", "claim-busy", "record-raw",
                                 "impedance", "devices"])
    parser.add_argument("--rate", type=float, default=1000, help="board packets per second")
    parser.add_argument("--packets", type=int, default=2000, help="packets in the first board session")
    parser.add_argument("--after", type=int, default=300, help="packets after a replug or reconnect")
    parser.add_argument("--error", choices=["stall", "proto"], default="stall")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ohms", type=lambda text: [float(v) for v in text.split(",")],
                        default=[1000, 5000, 12000, 30000, 75000, 150000, 470000, 2000],
                        help="impedance: per channel, the impedance the lead-off stream implies")
    parser.add_argument("--eeg-arg", action="append", default=[], help="impedance, --stream-file: one more argument for eeg")
    parser.add_argument("--stream-file", help="stream: the board sends this file's bytes (needs --samples)")
    parser.add_argument("--samples", type=int, help="with --stream-file: eeg's --samples")
    parser.add_argument("--aux", choices=["accel", "analog"],
                        help="stream: eeg's --aux; the board streams what the host set with /N (analog: A5-A7 in every packet)")
    parser.add_argument("--daisy-banner", action="store_true", help="the reply to v says a Daisy is attached")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for eeg's environment")
    parser.add_argument("--out", required=True)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
