import Foundation
import Testing
@testable import EEGKit

/// `--lsl` stamps samples with the host clock as they are delivered, so any speed but
/// real time would publish timestamps ahead of the LSL clock: refused as a usage error
/// naming both flags, before anything opens (review #15).
@Suite("--lsl with --speed, run as a process")
struct LSLSpeedTests {
    @Test("--lsl with --speed/--sim-speed ≠ 1 is a usage error naming both flags", arguments: [
        (["stream", "--lsl", "--speed", "20", "--duration", "1s"], "--speed"),
        (["stream", "--lsl", "--sim-speed", "max", "--duration", "1s"], "--sim-speed"),
        (["record", "--lsl", "--speed", "2", "--duration", "1s", "--out", "/nonexistent-dir/lsl-speed.bdf"], "--speed"),
        (["replay", "/nonexistent-dir/lsl-speed.bdf", "--lsl", "--speed", "max"], "--speed"),
    ])
    func refused(arguments: [String], flag: String) throws {
        let run = try EEGProcess(arguments, killAfter: 60)
        #expect(run.status == 64, "\(run.status): \(run.stderr.prefix(300))")
        #expect(run.stderr.contains("--lsl") && run.stderr.contains(flag), "\(run.stderr.prefix(300))")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr.prefix(300))")
    }

    @Test("--speed 1 with --lsl is accepted by the argument check")
    func realTimeAccepted() throws {
        // A replay of a missing file: past the argument check, it fails on the input (66).
        let run = try EEGProcess(["replay", "/nonexistent-dir/lsl-speed.bdf", "--lsl", "--speed", "1"], killAfter: 60)
        #expect(run.status == 66, "\(run.status): \(run.stderr.prefix(300))")
    }
}
