import Foundation

/// Reads frames of interleaved µV samples from a file or standard input, a chunk at a
/// time, so memory does not grow with the input's length.
public protocol FrameReader {
    /// Samples per frame.
    var channelCount: Int { get }
    /// Channel labels found in the input itself (a CSV header), if any.
    var labels: [String]? { get }
    /// Replaces `buffer` with the next chunk of whole frames; returns the number of
    /// frames (0 at the end of the input).
    mutating func nextChunk(into buffer: inout [Float]) throws(InputError) -> Int
}

/// Opens `path` for reading, or standard input for `nil` or `-`.
public func openInput(_ path: String?) throws(InputError) -> (FileHandle, name: String) {
    guard let path, path != "-" else { return (FileHandle.standardInput, "standard input") }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw .cannotOpen(path: path, reason: "no such file")
    }
    if isDirectory.boolValue { throw .isDirectory(path: path) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw .cannotOpen(path: path, reason: FileManager.default.isReadableFile(atPath: path) ? "unknown error" : "permission denied")
    }
    return (handle, path)
}
