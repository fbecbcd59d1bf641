import EEGCore

/// The bytes an ``XDFReader`` reads: an open file (read where asked, never wholly) or a
/// buffer in memory (tests, the fuzz target). Every read is checked against the size.
final class XDFByteSource {
    let name: String
    let size: Int
    private let file: FileDescriptor?
    private let bytes: [UInt8]

    init(path: String) throws(XDFError) {
        name = path
        do {
            let file = try FileDescriptor(readingFile: path)
            let status = try file.status()
            guard !status.isDirectory else { throw XDFError(.cannotOpen(.isDirectory), path: path, "opening the file (a directory)") }
            size = status.size
            self.file = consume file
        } catch let error as XDFError {
            throw error
        } catch let error as Errno {
            throw XDFError(.cannotOpen(error), path: path, "opening the file")
        } catch {
            throw XDFError(.cannotOpen(.io), path: path, "opening the file")
        }
        bytes = []
    }

    init(bytes: [UInt8], name: String) {
        self.name = name
        self.bytes = bytes
        size = bytes.count
        file = nil
    }

    /// `count` bytes from `offset`; ``XDFError/Kind/truncated`` where the data ends first.
    func read(_ count: Int, at offset: Int) throws(XDFError) -> [UInt8] {
        guard count >= 0, offset >= 0, offset <= size, count <= size - offset else {
            throw XDFError(.truncated, path: name, offset: min(max(offset, 0), size), "the file ends at byte \(size), inside \(count) bytes wanted from byte \(offset)")
        }
        let fromFile: [UInt8]?
        do { fromFile = try file?.read(upTo: count, at: offset) } catch { throw XDFError(.io(error), path: name, "reading \(count) bytes at byte \(offset)") }
        guard let read = fromFile else { return Array(bytes[offset..<(offset + count)]) }
        guard read.count == count else {
            throw XDFError(.truncated, path: name, offset: offset + read.count, "the file ended while reading (it shrank?)")
        }
        return read
    }

    /// Up to 8 bytes, least significant first.
    static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        return value
    }
}
