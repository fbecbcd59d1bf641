import Foundation
import Synchronization

/// `--shard I/N`: this process takes the I-th (1-based) of N shares of a file list,
/// balanced by file size (``ShardPlan``), so N array jobs cover a dataset with no
/// coordination.
public struct Shard: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws(AnalysisError) {
        guard count >= 1, index >= 1, index <= count else {
            throw AnalysisError(path: "--shard", reason: "\(index)/\(count) is not a shard: use I/N with 1 ≤ I ≤ N, e.g. --shard 1/4")
        }
        self.index = index
        self.count = count
    }

    /// This shard's files of `paths`, in their order (sizes read from the files).
    public func select(_ paths: [String]) -> [String] {
        ShardPlan(paths: paths, shards: count).files(of: index).map { paths[$0] }
    }
}

/// Analyses many files on `jobs` threads and reports them in the order given: the file
/// being reported streams its epochs as they are computed; a later file's events wait
/// until every earlier file has ended. A stop (cancellation) still flushes everything
/// computed so far.
public final class BatchAnalysis: @unchecked Sendable {
    // @unchecked Sendable: shared state is behind the Mutex.
    public let options: AnalysisOptions
    public let jobs: Int

    public struct Progress: Sendable {
        public var filesDone = 0
        public var files = 0
        public var samplesDone = 0.0
        public var samplesTotal = 0.0
    }

    /// What the batch reports, in file order: a file's begin, each of its epochs, its end
    /// (with the summary), or its failure.
    public enum Event: Sendable {
        case begin(FileInfo)
        case epoch(FileInfo, EpochResult)
        case end(FileAnalysis)
        case failed(path: String, message: String, kind: FailureKind)
    }

    /// What kind of failure, for the exit code: the same mapping as a single file's.
    public typealias FailureKind = EEGKit.FailureKind

    private struct State {
        var current = 0                  // the file whose events go straight out
        var held: [Int: [Event]] = [:]   // events of later files, until their turn
        var finished = Set<Int>()
        var fractions: [Double]
        var sizes: [Double]
        var filesDone = 0
    }

    public init(options: AnalysisOptions, jobs: Int) {
        self.options = options
        self.jobs = max(1, jobs)
    }

    /// A file's share of the progress: its size in bytes as lstat(2) gives it, 1 when it
    /// cannot be read. (lstat, not FileManager's attributes: those build a dictionary of
    /// bridged values whose first use costs ~1 M instructions of runtime type look-ups at
    /// every start — the same figure, as FileManager also uses lstat.)
    static func progressWeight(_ path: String) -> Double {
        var info = stat()
        return lstat(path, &info) == 0 ? Double(info.st_size) : 1
    }

    /// Analyses `files`. Events reach `emit` in file order and under a lock, so `emit`
    /// may keep formatting state. With one job nothing is ever held, and memory stays
    /// flat whatever the files' length (unless `options.keepEpochs`).
    public func run(files: [String], emit: @escaping @Sendable (Event) -> Void,
                    progress: @escaping @Sendable (Progress) -> Void = { _ in },
                    cancelled: @escaping @Sendable () -> Bool = { false }) {
        let sizes = files.map(Self.progressWeight)
        let state = Mutex(State(fractions: Array(repeating: 0, count: files.count), sizes: sizes))
        let total = sizes.reduce(0, +)
        let nextFile = Atomic<Int>(0)
        let options = self.options

        @Sendable func send(_ event: Event, from i: Int, last: Bool) {
            state.withLock { s in
                if i == s.current { emit(event) } else { s.held[i, default: []].append(event) }
                guard last else { return }
                s.finished.insert(i)
                s.filesDone += 1
                s.fractions[i] = 1
                while s.finished.contains(s.current) {
                    s.current += 1
                    for held in s.held.removeValue(forKey: s.current) ?? [] { emit(held) }
                }
            }
        }

        DispatchQueue.concurrentPerform(iterations: min(jobs, max(files.count, 1))) { _ in
            while true {
                let i = nextFile.add(1, ordering: .relaxed).oldValue
                guard i < files.count, !cancelled() else { return }
                var info: FileInfo?  // set by onBegin, which always comes before any epoch
                do {
                    let analysis = try FileAnalyzer(options: options).analyze(
                        path: files[i],
                        onBegin: { begun in
                            info = begun
                            send(.begin(begun), from: i, last: false)
                        },
                        onEpoch: { e in send(.epoch(info!, e), from: i, last: false) },
                        progress: { fraction in
                            let p = state.withLock { s -> Progress in
                                s.fractions[i] = fraction
                                let done = zip(s.fractions, s.sizes).reduce(0) { $0 + $1.0 * $1.1 }
                                return Progress(filesDone: s.filesDone, files: files.count, samplesDone: done, samplesTotal: total)
                            }
                            progress(p)
                        },
                        cancelled: cancelled)
                    send(.end(analysis), from: i, last: true)
                } catch {
                    send(.failed(path: files[i], message: "\(error)", kind: FailureKind(of: error)), from: i, last: true)
                }
            }
        }
        // After a stop, whatever is held is flushed in file order.
        state.withLock { s in
            for key in s.held.keys.sorted() { for event in s.held[key]! { emit(event) } }
            s.held.removeAll()
        }
    }
}
