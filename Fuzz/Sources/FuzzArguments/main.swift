// The command-line value parsers on arbitrary text: each returns a value inside its
// stated range or throws an ArgumentError naming the flag in one line; never a trap.
import EEGKit
import Foundation
import FuzzSupport

runFuzzer { data, size in
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    func rejected(_ body: () throws -> Void) {
        do { try body() } catch let error as ArgumentError {
            invariant(error.flag == "--f" && error.description.hasPrefix("--f must be "), error.description)
            invariant(!error.description.unicodeScalars.contains { $0.value < 0x20 }, "control character in \(error.description.debugDescription)")
        } catch {
            invariant(false, "not an ArgumentError: \(error)")
        }
    }
    rejected {
        let s = try ArgumentValues.seconds(text, flag: "--f")
        invariant(ArgumentValues.durationRange.contains(s), "duration \(s)")
        invariant(ArgumentValues.frames(seconds: s, rate: 1_000_000) > 0, "frames of \(s) s")
    }
    rejected {
        let shard = try ArgumentValues.shard(text, flag: "--f")
        invariant((1...shard.count).contains(shard.index), "shard \(shard)")
    }
    rejected {
        let band = try ArgumentValues.passband(text, flag: "--f")
        invariant(band.lowerBound > 0 && band.upperBound.isFinite, "passband \(band)")
    }
    rejected {
        let speed = try ArgumentValues.speed(text, flag: "--f")
        invariant(speed == .infinity || ArgumentValues.speedRange.contains(speed), "speed \(speed)")
    }
    rejected {
        let overlap = try ArgumentValues.overlap(text, segmentLength: 512, flag: "--f")
        invariant((0..<512).contains(overlap), "overlap \(overlap)")
    }
    rejected {
        let bands = try ArgumentValues.bands(text, flag: "--f")
        invariant(bands.bands.allSatisfy { $0.low.isFinite && $0.high.isFinite && $0.low < $0.high }, "bands \(bands)")
    }
    rejected {
        let n = try ArgumentValues.number(text, flag: "--f", in: ArgumentValues.rateRange)
        invariant(ArgumentValues.rateRange.contains(n), "number \(n)")
    }
    rejected { _ = try ArgumentValues.integer(text, flag: "--f", in: ArgumentValues.channelRange) }
    rejected { _ = try ArgumentValues.pair(text, flag: "--f") }
    return 0
}
