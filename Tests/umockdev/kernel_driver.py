#!/usr/bin/python3
"""A dynamic umockdev device for the one case a pcap replay cannot show: a Cyton dongle
whose interface is bound to the kernel's ftdi_sio driver. The device answers libusb's
usbfs ioctls itself — GETDRIVER says "ftdi_sio", DISCONNECT/CONNECT (through
USBDEVFS_IOCTL) unbind and rebind it, CLAIM/RELEASE succeed only while unbound — runs
`eeg devices --check --json` against it, and prints {"ioctls": [...], "output": "..."}.

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-umockdev-1.0)."""
import json
import os
import subprocess
import sys

import gi
gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

# The recorded dongle of the pcap tests, under its own serial number.
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "Fixtures", "usb", "cyton.umockdev")) as fh:
    DEVICE = fh.read().replace("serial=DM00EEGK", "serial=DM00KERN")

# x86_64 request numbers from <linux/usbdevice_fs.h>
GETDRIVER, IOCTL, CLAIM, RELEASE, CAPS = 0x41045508, 0xC0105512, 0x8004550F, 0x80045510, 0x8004551A
DISCONNECT, CONNECT = 0x5516, 0x5517
ENODATA, EBUSY, ENOTTY = 61, 16, 25

log = []
bound = {"driver": "ftdi_sio"}


def handle(handler, client):
    request = client.get_request()
    arg = client.get_arg()
    if request == GETDRIVER:
        log.append("GETDRIVER")
        if bound["driver"] is None:
            client.complete(-1, ENODATA)
            return True
        name = list(bound["driver"].encode()) + [0]
        arg.resolve(0, 260).update(4, name)
        client.complete(0, 0)
    elif request == IOCTL:
        data = bytes(arg.resolve(0, 16).retrieve())
        code = int.from_bytes(data[4:8], "little")
        if code == DISCONNECT:
            log.append("DISCONNECT")
            bound["driver"] = None
            client.complete(0, 0)
        elif code == CONNECT:
            log.append("CONNECT")
            bound["driver"] = "ftdi_sio"
            client.complete(0, 0)
        else:
            client.complete(-1, ENOTTY)
    elif request == CLAIM:
        log.append("CLAIM")
        client.complete(-1 if bound["driver"] else 0, EBUSY if bound["driver"] else 0)
    elif request == RELEASE:
        log.append("RELEASE")
        client.complete(0, 0)
    elif request == CAPS:
        arg.resolve(0, 4).update(0, [0, 0, 0, 0])
        client.complete(0, 0)
    else:
        client.complete(-1, ENOTTY)
    return True


def main():
    eeg = sys.argv[1]
    testbed = UMockdev.Testbed.new()
    testbed.add_from_string(DEVICE)
    handler = UMockdev.IoctlBase()
    handler.connect("handle-ioctl", handle)
    testbed.attach_ioctl("/dev/bus/usb/001/002", handler)
    env = dict(os.environ, UMOCKDEV_DIR=testbed.get_root_dir(), LD_PRELOAD="libumockdev-preload.so.0")
    result = subprocess.run([eeg, "devices", "--check", "--json"], env=env, capture_output=True, text=True, timeout=60)
    json.dump({"ioctls": log, "output": result.stdout, "errors": result.stderr, "status": result.returncode}, sys.stdout)


if __name__ == "__main__":
    main()
