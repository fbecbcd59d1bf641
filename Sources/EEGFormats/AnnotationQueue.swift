/// How an annotation was stored by ``EDFWriter/annotate(_:)``.
public enum AnnotationStorage: Sendable, Equatable {
    /// As given.
    case whole
    /// Too long for one data record's annotation space: stored as `parts` annotations
    /// with the same onset, each ending " [part i of n]".
    case split(parts: Int)
    /// Longer than ``AnnotationQueue/maximumParts`` parts: the first `keptBytes` bytes
    /// of its UTF-8 text were kept (split as above), the text says it was truncated.
    case truncated(keptBytes: Int, originalBytes: Int)
    /// Annotations came faster than data records can carry them and the queue was full:
    /// not stored. The writer stores a note counting such annotations once there is room.
    case dropped
}

/// The annotations waiting for room in data records, as encoded TALs.
///
/// Bounded, so that neither one long marker nor a flood of them can grow memory or
/// delay ``EDFWriter/close()`` without limit: every TAL fits in one record's annotation
/// space (long texts are split, very long ones truncated), and the queue holds at most
/// ``maximumRecordsOfBacklog`` records' worth of ordinary annotations (markers); beyond
/// that they are dropped and counted, and a note saying how many is stored in their
/// place. Essential ones (gaps, start, end, device events) are never dropped.
struct AnnotationQueue {
    /// Parts one annotation may be split into before it is truncated.
    static let maximumParts = 4
    /// Records' worth of annotation space the queue may hold.
    static let maximumRecordsOfBacklog = 32
    /// Bytes reserved in each record for its time-keeping TAL (`+onset` + 3 delimiters;
    /// 14 digits of seconds is over 3 million years).
    static let timekeepingReserve = 24

    /// Bytes of annotation space in each data record.
    let recordSpace: Int
    private(set) var pending: [[UInt8]] = []
    private var pendingBytes = 0
    /// Annotations dropped since the last note about them, and when the first was.
    private var unreportedDrops = 0
    private var firstDropOnset = 0.0
    /// Annotations dropped in all.
    private(set) var droppedCount = 0

    init(recordSpace: Int) { self.recordSpace = recordSpace }

    /// Bytes a TAL may have so that it fits in a record beside the time-keeping TAL.
    var talCapacity: Int { recordSpace - Self.timekeepingReserve }
    var isEmpty: Bool { pending.isEmpty }

    /// Queues `annotation`, split or truncated to fit (see ``AnnotationStorage``). An
    /// `essential` one (a gap, the start, the end, a device event: rare, and the
    /// timeline depends on them) is queued even beyond the backlog limit.
    mutating func add(_ annotation: Annotation, essential: Bool = false) -> AnnotationStorage {
        reportDropsIfRoom()
        let (parts, storage) = fitted(annotation)
        let bytes = parts.reduce(0) { $0 + $1.count }
        guard essential || pendingBytes + bytes <= Self.maximumRecordsOfBacklog * talCapacity else {
            if unreportedDrops == 0 { firstDropOnset = annotation.onset }
            unreportedDrops += 1
            droppedCount += 1
            return .dropped
        }
        append(parts)
        return storage
    }

    /// Removes and returns the TALs, oldest first, that fit in `space` bytes.
    mutating func take(fitting space: Int) -> [UInt8] {
        var taken: [UInt8] = []
        var count = 0
        while count < pending.count, taken.count + pending[count].count <= space {
            taken += pending[count]
            count += 1
        }
        if count > 0 {
            pending.removeFirst(count)
            pendingBytes -= taken.count
        }
        return taken
    }

    /// Queues the note about dropped annotations (at close, whatever the backlog).
    mutating func reportDrops() {
        guard unreportedDrops > 0 else { return }
        let note = Annotation(onset: firstDropOnset, kind: .annotationsNotStored(count: unreportedDrops))
        unreportedDrops = 0
        append(fitted(note).parts)
    }

    /// Records needed to carry every pending TAL (each record also holds its
    /// time-keeping TAL), packed as ``take(fitting:)`` packs them.
    func recordsToEmpty() -> Int {
        var records = 0, used = talCapacity
        for tal in pending {
            if used + tal.count > talCapacity { records += 1; used = 0 }
            used += tal.count
        }
        return records
    }

    private mutating func append(_ parts: [[UInt8]]) {
        pending += parts
        pendingBytes += parts.reduce(0) { $0 + $1.count }
    }

    private mutating func reportDropsIfRoom() {
        if unreportedDrops > 0, pendingBytes + talCapacity <= Self.maximumRecordsOfBacklog * talCapacity { reportDrops() }
    }

    /// The TALs for `annotation`: one when it fits, else parts of its text cut at
    /// character boundaries.
    private func fitted(_ annotation: Annotation) -> (parts: [[UInt8]], storage: AnnotationStorage) {
        let whole = TAL.encode(annotation)
        if whole.count <= talCapacity { return ([whole], .whole) }
        var empty = annotation
        empty.text = ""
        let suffixRoom = " [part 4 of 4]".utf8.count
        let textRoom = talCapacity - TAL.encode(empty).count - suffixRoom
        let truncationNote = " [truncated from \(annotation.text.utf8.count) bytes]"
        var pieces = Self.cut(annotation.text, into: textRoom, maximumPieces: Self.maximumParts)
        var storage = AnnotationStorage.split(parts: pieces.count)
        if pieces.count > Self.maximumParts {
            // Make room for the note in the last kept part, and say what was cut.
            pieces = Array(pieces.prefix(Self.maximumParts))
            let last = Self.cut(pieces[Self.maximumParts - 1], into: textRoom - truncationNote.utf8.count, maximumPieces: 1)[0]
            pieces[Self.maximumParts - 1] = last + truncationNote
            let kept = pieces.dropLast().reduce(0) { $0 + $1.utf8.count } + last.utf8.count
            storage = .truncated(keptBytes: kept, originalBytes: annotation.text.utf8.count)
        }
        let parts = pieces.enumerated().map { i, piece -> [UInt8] in
            var part = annotation
            part.text = piece + " [part \(i + 1) of \(pieces.count)]"
            return TAL.encode(part)
        }
        return (parts, storage)
    }

    /// `text` cut at character boundaries into pieces of at most `bytes` UTF-8 bytes;
    /// stops after `maximumPieces + 1` pieces (the last one then stands for "more").
    static func cut(_ text: String, into bytes: Int, maximumPieces: Int) -> [String] {
        var pieces: [String] = []
        var current = ""
        var currentBytes = 0
        for character in text {
            let size = character.utf8.count
            if currentBytes + size > bytes, !current.isEmpty {
                pieces.append(current)
                if pieces.count > maximumPieces { return pieces }
                current = ""
                currentBytes = 0
            }
            // A single character longer than the room (absurd combining sequences) is
            // cut by scalars instead.
            if size > bytes {
                for scalar in character.unicodeScalars where currentBytes + String(scalar).utf8.count <= bytes {
                    current.unicodeScalars.append(scalar)
                    currentBytes += String(scalar).utf8.count
                }
                continue
            }
            current.append(character)
            currentBytes += size
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }
}
