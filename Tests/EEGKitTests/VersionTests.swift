import Foundation
import Testing
import TestSupport
@testable import EEGKit

/// `eeg --version` and `eeg version [--json]` checked against what the system says
/// independently: pkg-config and dpkg for the libraries, `swift --version`, os-release
/// read by the shell, `uname`, and the git tag.
@Suite("eeg --version and eeg version")
struct VersionTests {
    /// The standard output of a program found on PATH, or nil (with a visible skip) when
    /// it is missing or fails.
    static func output(_ program: String, _ arguments: [String], quiet: Bool = false) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            if !quiet { print("◇ skipped: `\(([program] + arguments).joined(separator: " "))` failed; that comparison was not made") }
            return nil
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The upstream part of a Debian version: no epoch (`2:`), no revision (`-1`).
    static func upstream(_ debianVersion: String) -> String {
        var version = Substring(debianVersion)
        if let colon = version.firstIndex(of: ":") { version = version[version.index(after: colon)...] }
        if let dash = version.lastIndex(of: "-") { version = version[..<dash] }
        return String(version)
    }

    static func report() throws -> [String: String] {
        let run = try EEGProcess(["version", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["eeg", "fftw", "fftw_build", "libusb", "swift", "os", "kernel", "machine"])
        return object.compactMapValues { $0 as? String }
    }

    /// Both the build headers (pkg-config) and the installed runtime package (dpkg) must
    /// name the FFTW release the loaded library reports.
    @Test("FFTW: the loaded library's release, as pkg-config and dpkg know it")
    func fftw() throws {
        let report = try Self.report()
        let fftw = try #require(report["fftw"])
        #expect(fftw.split(separator: ".").count == 3 && fftw.allSatisfy { $0.isNumber || $0 == "." }, "\(fftw)")
        #expect(report["fftw_build"]?.hasPrefix("fftw-\(fftw)") == true)
        if let headers = Self.output("pkg-config", ["--modversion", "fftw3f"]) { #expect(headers == fftw) }
        if let package = Self.output("dpkg-query", ["-W", "-f=${Version}", "libfftw3-single3"]) { #expect(Self.upstream(package) == fftw) }
    }

    @Test("libusb: major.minor.micro.nano, its release as pkg-config and dpkg know it")
    func libusb() throws {
        let libusb = try #require(try Self.report()["libusb"])
        let parts = libusb.split(separator: ".")
        #expect(parts.count == 4 && parts.allSatisfy { UInt16($0) != nil }, "\(libusb)")
        let release = parts.prefix(3).joined(separator: ".")
        if let headers = Self.output("pkg-config", ["--modversion", "libusb-1.0"]) { #expect(headers == release) }
        if let package = Self.output("dpkg-query", ["-W", "-f=${Version}", "libusb-1.0-0"]) { #expect(Self.upstream(package) == release) }
    }

    @Test("Swift: the compiler that built it, as `swift --version` says")
    func swift() throws {
        let reported = try #require(try Self.report()["swift"])
        guard let text = Self.output("swift", ["--version"]) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("swift is not on PATH in CI") }
            return
        }
        // "Swift version 6.3.1 (swift-6.3.1-RELEASE)" → "6.3.1"; a .0 release prints "6.3".
        let words = text.split(separator: " ")
        let index = try #require(words.firstIndex(of: "version"))
        #expect(String(words[index + 1]) == reported, "\(text)")
    }

    @Test("the system: os-release's PRETTY_NAME as the shell reads it, and uname")
    func system() throws {
        let report = try Self.report()
        if let pretty = Self.output("sh", ["-c", ". /etc/os-release && printf %s \"$PRETTY_NAME\""]) { #expect(report["os"] == pretty) }
        if let kernel = Self.output("uname", ["-sr"]) { #expect(report["kernel"] == kernel) }
        if let machine = Self.output("uname", ["-m"]) { #expect(report["machine"] == machine) }
    }

    @Test("--version prints eeg's release and the two libraries, the same as eeg version's first lines")
    func shortForm() throws {
        let report = try Self.report()
        let short = try EEGProcess(["--version"])
        #expect(short.status == 0)
        let expected = "eeg \(report["eeg"]!)\nFFTW \(report["fftw"]!) (\(report["fftw_build"]!))\nlibusb \(report["libusb"]!)\n"
        #expect(short.stdout == expected)
        let long = try EEGProcess(["version"])
        #expect(long.status == 0)
        #expect(long.stdout == expected + "Swift \(report["swift"]!)\nOS \(report["os"]!)\nkernel \(report["kernel"]!) \(report["machine"]!)\n")
    }

    /// The committed number is the release: on a tagged commit it must equal the tag, and
    /// it never falls behind the last tag.
    @Test("the version matches the git tag when HEAD is tagged, and never falls behind the last tag")
    func gitTag() throws {
        let version = try #require(try Self.report()["eeg"])
        let parts = version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3, "\(version) is not major.minor.patch")
        let root = Fixtures.root.deletingLastPathComponent().path
        guard let last = Self.output("git", ["-C", root, "describe", "--tags", "--abbrev=0"], quiet: true) else {
            print("◇ note: no git tag reachable from HEAD; the version (\(version)) is checked against a tag once one exists")
            return
        }
        let tagged = last.hasPrefix("v") ? String(last.dropFirst()) : last
        let tagParts = tagged.split(separator: ".").compactMap { Int($0) }
        #expect(parts.lexicographicallyPrecedes(tagParts) == false, "version \(version) is behind the tag \(last)")
        if Self.output("git", ["-C", root, "describe", "--tags", "--exact-match", "HEAD"], quiet: true) != nil {
            #expect(version == tagged, "HEAD is tagged \(last) but the version is \(version)")
        }
    }

    @Test("os-release values: bare, double-quoted with shell escapes, single-quoted, missing")
    func osRelease() {
        let text = "NAME=Debian\nPRETTY_NAME=\"Debian \\\"GNU\\\"/Linux \\$12 \\x\"\nID='debian'\nEMPTY=\n"
        #expect(OSRelease.value(of: "NAME", in: text) == "Debian")
        #expect(OSRelease.value(of: "PRETTY_NAME", in: text) == "Debian \"GNU\"/Linux $12 \\x")
        #expect(OSRelease.value(of: "ID", in: text) == "debian")
        #expect(OSRelease.value(of: "EMPTY", in: text) == nil)
        #expect(OSRelease.value(of: "VERSION", in: text) == nil)
        #expect(OSRelease.prettyName(files: ["/nonexistent/os-release"]) == nil)
    }
}
