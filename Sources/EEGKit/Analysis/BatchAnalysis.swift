import Foundation
import Synchronization

/// `--shard I/N`: this process takes every N-th file, starting with the I-th (1-based),
/// so N array jobs cover a dataset with no coordination.
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

    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// Analyses many files on `jobs` threads and hands each result to `emit` in input order
/// as soon as it and every file before it are done, so output is deterministic and a
/// stop (cancellation) still flushes everything finished so far.
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

    public enum Outcome: Sendable {
        case analysed(FileAnalysis)
        case failed(path: String, message: String, kind: FailureKind)
    }

    /// What kind of failure, for the exit code.
    public enum FailureKind: Sendable {
        /// Missing, a directory, unreadable.
        case noInput
        /// Not EDF, malformed, too short.
        case badData
        /// The options do not fit this file (an unknown channel, say).
        case usage
    }

    static func kind(of error: any Error) -> FailureKind {
        switch error {
        case let e as InputError:
            switch e {
            case .cannotOpen, .isDirectory: return .noInput
            default: return .badData
            }
        case let e as EDFError:
            switch e {
            case .io(_, let operation, _) where operation.hasPrefix("opening"): return .noInput
            case .unsupported(_, let reason) where reason.contains("directory"): return .noInput
            default: return .badData
            }
        case is AnalysisError:
            return .usage
        default:
            return .badData
        }
    }

    private struct State {
        var results: [Int: Outcome] = [:]
        var nextToEmit = 0
        var fractions: [Double]
        var sizes: [Double]
        var filesDone = 0
    }

    public init(options: AnalysisOptions, jobs: Int) {
        self.options = options
        self.jobs = max(1, jobs)
    }

    public func run(files: [String], emit: @escaping @Sendable (Outcome) -> Void,
                    progress: @escaping @Sendable (Progress) -> Void = { _ in },
                    cancelled: @escaping @Sendable () -> Bool = { false }) {
        let sizes = files.map { Double((try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) ?? 1) }
        let state = Mutex(State(fractions: Array(repeating: 0, count: files.count), sizes: sizes))
        let total = sizes.reduce(0, +)
        let nextFile = Atomic<Int>(0)
        let options = self.options
        DispatchQueue.concurrentPerform(iterations: min(jobs, max(files.count, 1))) { _ in
            while true {
                let i = nextFile.add(1, ordering: .relaxed).oldValue
                guard i < files.count, !cancelled() else { return }
                let outcome: Outcome
                do {
                    let analysis = try FileAnalyzer(options: options).analyze(path: files[i], progress: { fraction in
                        let p = state.withLock { s -> Progress in
                            s.fractions[i] = fraction
                            let done = zip(s.fractions, s.sizes).reduce(0) { $0 + $1.0 * $1.1 }
                            return Progress(filesDone: s.filesDone, files: files.count, samplesDone: done, samplesTotal: total)
                        }
                        progress(p)
                    }, cancelled: cancelled)
                    outcome = .analysed(analysis)
                } catch {
                    outcome = .failed(path: files[i], message: "\(error)", kind: Self.kind(of: error))
                }
                // Emit in order, outside the worker's own analysis.
                var ready: [Outcome] = []
                state.withLock { s in
                    s.results[i] = outcome
                    s.fractions[i] = 1
                    s.filesDone += 1
                    while let next = s.results.removeValue(forKey: s.nextToEmit) {
                        ready.append(next)
                        s.nextToEmit += 1
                    }
                    // Emitting under the lock keeps the order across workers.
                    for r in ready { emit(r) }
                }
            }
        }
        // After a stop, results finished beyond a file that was not are still flushed,
        // in order.
        state.withLock { s in
            for key in s.results.keys.sorted() { emit(s.results[key]!) }
            s.results.removeAll()
        }
    }
}
