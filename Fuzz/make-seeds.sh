#!/usr/bin/env bash
# Writes the seed corpora in Fuzz/Corpus from EEGKit's own writer and hand-made inputs.
# Run from the repository root after `swift build`; the seeds are committed, so this is
# only needed to remake them.
set -euo pipefail
eeg=${EEG:-.build/debug/eeg}
c=Fuzz/Corpus
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Small recordings: 2 channels, 2 s, with a marker (annotations in every record).
for ext in edf bdf; do
  printf 'go\n' | "$eeg" record --sim-channels 2 --sim-rate 100 --sim-speed max --duration 2s \
      --markers-from-stdin --out "$tmp/s.$ext" --force >/dev/null 2>&1
  cp "$tmp/s.$ext" "$c/FuzzEDF/sim-2ch-100hz.$ext"
done
# XDF: EEGKit's own (EEG, metrics after 4 s, markers); the LabRecorder seed
# (labrecorder-4ch-markers.xdf, with clock offsets) came from Tests/interop/xdf_interop.py.
printf 'go\n' | "$eeg" record --sim-channels 2 --sim-rate 100 --sim-speed max --duration 5s \
    --markers-from-stdin --out "$c/FuzzXDF/sim-2ch-100hz.xdf" --force >/dev/null 2>&1
python3 - "$c" <<'PY'
import struct, sys
c = sys.argv[1]
def packet(n, values, footer=0xC0):
    body = b"".join(struct.pack(">i", v)[1:] for v in values)
    return bytes([0xA0, n & 0xFF]) + body + bytes(6) + bytes([footer])
plain = b"".join(packet(i, [i * 1000 - 4000 + k for k in range(8)]) for i in range(6))
open(f"{c}/FuzzCyton/plain.bin", "wb").write(b"\x10" + plain)
open(f"{c}/FuzzCyton/daisy.bin", "wb").write(b"\x11" + plain)
open(f"{c}/FuzzCyton/gap-garbage.bin", "wb").write(b"\x20" + packet(0, [1] * 8) + b"\xA0\x05junk" + packet(7, [-8388608] * 8, 0xC3))
def sd_line(n, counts, aux=None):
    fields = ["%02X" % (n & 0xFF)] + ["%06X" % (v & 0xFFFFFF) for v in counts] + ["%04X" % (a & 0xFFFF) for a in (aux or [])]
    return ",".join(fields) + "\n"
sd = "%STOP AT\n000003E8\n" + "".join(sd_line(i, [i * 100 - 400 + k for k in range(8)], [16, -32, 8000] if i % 10 == 0 else None) for i in range(12) if i != 5)
footer = "\n%SamplingFreq:\n000FA\n%Total time mS:\n00000960\n%Over:\n00000001\n%block, uS\n0000000A,00000BB8\n"
open(f"{c}/FuzzCytonSD/plain.bin", "wb").write(b"\x00" + (sd + footer).encode() + bytes(64))
open(f"{c}/FuzzCytonSD/daisy-pause.bin", "wb").write(b"\x01" + (sd_line(0, [-1] * 16) + "%START AT\n000007D0\n%STOP AT\n00000FA0\n" + sd_line(0, [8388607] * 16, [1, 2, 3])).encode())
open(f"{c}/FuzzCytonSD/torn-garbage.bin", "wb").write(b"\x24" + (sd_line(0, [1] * 8) + "OpenBCI\n" + sd_line(2, [2] * 8) + "03,0000").encode() + b"\xff\xff")
open(f"{c}/FuzzFTDI/packets.bin", "wb").write(bytes([63]) + bytes(range(200)))
open(f"{c}/FuzzTAL/record.bin", "wb").write(b"+0\x14\x14\x00+1.5\x150.25\x14eyes closed\x14\x00\x00\x00")
open(f"{c}/FuzzTAL/two.bin", "wb").write(b"+12\x14\x14\x00-0.5\x14a\x14b\x14\x00")
open(f"{c}/FuzzSampleReaders/csv-header.bin", "wb").write(b"\x01Fp1,Fp2,C3\n1.5,-2,3e1\n4,5,6\n")
open(f"{c}/FuzzSampleReaders/csv-plain.bin", "wb").write(b"\x07" + b"1,2,3,4\r\n5,6,7,8\r\n")
open(f"{c}/FuzzSampleReaders/f32.bin", "wb").write(b"\x02" + struct.pack("<8f", *range(8)))
for name, text in [("duration", "1.5h"), ("ms", "500ms"), ("shard", "3/16"), ("band", "theta:4-8,alpha:8-13"), ("filter", "0.5-40"),
                   ("overlap", "50%"), ("speed", "4x"), ("pair", "F3:F4"), ("huge", "1e300s")]:
    open(f"{c}/FuzzArguments/{name}.txt", "w").write(text)
open(f"{c}/FuzzEscaping/ansi.bin", "wb").write(b'\x1b[31mred\x1b[0m,"q"\r\n=cmd\xff')
open(f"{c}/FuzzEscaping/plain.bin", "wb").write("Fp1 µV α/β".encode())
PY
ls -la "$c"/*
# The marker inlet: a string and an int32 feed (header, test patterns, samples), a
# shortinfo reply and a time reply; the first two bytes pick the parser/format and the
# piece size (see Fuzz/Sources/FuzzLSLInlet).
python3 - "$c" <<'PY'
import struct, sys, os
c = sys.argv[1] + "/FuzzLSLInlet"
os.makedirs(c, exist_ok=True)
ok = b"LSL/110 200 OK\r\nUID: u\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n"
def s(t, text): return b"\x02" + struct.pack("<d", t) + bytes([1, len(text)]) + text
pat = s(123456.789, b"10") * 2
open(f"{c}/string-feed.bin", "wb").write(bytes([8, 7]) + ok + pat + s(10.5, b"stimulus") + b"\x01\x04" + struct.pack("<I", 3) + b"off")
def i(t, v): return b"\x02" + struct.pack("<d", t) + struct.pack("<i", v)
open(f"{c}/int32-feed.bin", "wb").write(bytes([13, 3]) + ok + i(123456.789, 65541) + i(123456.789, 65539) + i(3.0, 42) + b"\x01" + struct.pack("<i", 7))
info = (b"<?xml version=\"1.0\"?><info><name>T</name><type>Markers</type><channel_count>1</channel_count><channel_format>string</channel_format>"
        b"<source_id>s</source_id><nominal_srate>0</nominal_srate><uid>u</uid><v4data_port>16573</v4data_port><v4service_port>16572</v4service_port></info>")
open(f"{c}/shortinfo.bin", "wb").write(bytes([2, 0]) + b"42\r\n" + info)
open(f"{c}/timedata.bin", "wb").write(bytes([3, 0]) + b" 7 1.5 2.25 2.5")
PY
