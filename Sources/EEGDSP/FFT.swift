import CFFTW
import Glibc
import Synchronization

/// How hard FFTW searches for a fast plan. Planning happens once per length; the plan is
/// cached and reused.
public enum FFTPlanningRigor: Sendable, Hashable {
    /// Picks a plan from heuristics in microseconds (FFTW_ESTIMATE). The CLI default.
    case estimate
    /// Times candidate algorithms (FFTW_MEASURE): up to seconds per length, often faster
    /// transforms. Worth it for long jobs.
    case measure
    /// A wider search than `measure` (FFTW_PATIENT).
    case patient

    var flags: UInt32 {
        switch self {
        case .estimate: return FFTW_ESTIMATE
        case .measure: return FFTW_MEASURE
        case .patient: return FFTW_PATIENT
        }
    }
}

/// A forward real-to-complex single-precision FFT of one length (any length, not only
/// powers of two), planned once and executed many times on caller-owned buffers.
///
/// Thread safety: ``transform(_:into:)`` may run concurrently from many threads, each on
/// its own buffers (FFTW's new-array execute is re-entrant). Obtain plans from
/// ``FFTPlanner``, which serialises planning.
public final class RealFFT: @unchecked Sendable {
    // @unchecked Sendable: the plan is immutable after creation and FFTW documents
    // fftwf_execute_dft_r2c on distinct arrays as thread-safe.

    /// Input samples per transform.
    public let length: Int
    /// Complex output bins: `length / 2 + 1` (DC … Nyquist).
    public var binCount: Int { length / 2 + 1 }

    private let plan: OpaquePointer

    fileprivate init(length: Int, plan: OpaquePointer) {
        self.length = length
        self.plan = plan
    }

    /// Transforms `length` real samples into `binCount` complex bins stored as
    /// interleaved (re, im) pairs, unnormalised (FFTW's convention, like numpy's rfft).
    ///
    /// Both buffers must come from ``AlignedBuffer`` (FFTW's SIMD code requires the
    /// alignment the plan was made with). Does not allocate; the input is preserved.
    @inline(__always)
    public func transform(_ input: AlignedBuffer, into output: AlignedBuffer) {
        precondition(input.count >= length && output.count >= 2 * binCount, "FFT buffers too small for length \(length)")
        output.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) { complex in
            fftwf_execute_dft_r2c(plan, input.pointer, complex)
        }
    }

    /// ``transform(_:into:)`` on raw pointers from ``AlignedBuffer``s the caller keeps
    /// alive, for hot loops that must not touch class references.
    @inline(__always)
    func transform(aligned input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) { complex in
            fftwf_execute_dft_r2c(plan, input, complex)
        }
    }
}

/// Owned, 64-byte-aligned `Float` storage for FFT input and output and other hot-loop
/// scratch. Allocated once; the contents are zeroed at creation.
public final class AlignedBuffer: @unchecked Sendable {
    // @unchecked Sendable: a scratch buffer; callers give each thread its own.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    /// The whole buffer as a mutable buffer pointer (valid while this object lives).
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// Makes and caches FFT plans. FFTW's planner is not thread-safe, so every call into it
/// (planning, wisdom) happens under one process-wide `Mutex`; executing plans needs no
/// lock.
public final class FFTPlanner: Sendable {
    /// The process-wide planner.
    public static let shared = FFTPlanner()

    private struct Key: Hashable {
        let length: Int
        let rigor: FFTPlanningRigor
    }

    private struct State: ~Copyable {
        var plans: [Key: RealFFT] = [:]
    }

    private let state = Mutex(State())

    private init() {}

    /// The forward real FFT of `length` samples, planned on first use with `rigor` and
    /// cached. Planning with `.measure` may take seconds; later calls return the cached
    /// plan at the cost of a dictionary look-up under the lock (do it outside hot loops).
    public func realForward(length: Int, rigor: FFTPlanningRigor = .estimate) -> RealFFT {
        precondition(length >= 1, "FFT length must be positive")
        let key = Key(length: length, rigor: rigor)
        let fft: RealFFT = state.withLock { state in
            if let cached = state.plans[key] { return cached }
            // Plan on scratch arrays of the alignment transform() requires; MEASURE and
            // PATIENT overwrite them while timing.
            let input = AlignedBuffer(count: length)
            let output = AlignedBuffer(count: 2 * (length / 2 + 1))
            let plan = output.pointer.withMemoryRebound(to: fftwf_complex.self, capacity: length / 2 + 1) {
                fftwf_plan_dft_r2c_1d(Int32(length), input.pointer, $0, rigor.flags)
            }
            guard let plan else { fatalError("FFTW could not plan a real FFT of length \(length)") }
            let made = RealFFT(length: length, plan: plan)
            state.plans[key] = made
            return made
        }
        return fft
    }

    /// FFTW's accumulated planning knowledge as text, to save and import in a later run
    /// so `.measure` planning is instant.
    public func exportWisdom() -> String {
        state.withLock { _ in
            guard let text = fftwf_export_wisdom_to_string() else { return "" }
            defer { free(text) }
            return String(cString: text)
        }
    }

    /// Loads wisdom saved by ``exportWisdom()``.
    public func importWisdom(_ wisdom: String) throws(DSPError) {
        let accepted = state.withLock { _ in fftwf_import_wisdom_from_string(wisdom) }
        guard accepted == 1 else { throw .wisdomRejected }
    }
}

/// The FFTW library this process runs with (for `eeg --version` and bug reports).
public enum FFTWLibrary {
    /// FFTW's own name for the loaded library, e.g. `fftw-3.3.10-sse2-avx`: its release and
    /// the SIMD code it was built with (`fftwf_version`). Read at run time, so it names
    /// the library actually loaded, which may be newer than the headers built against.
    public static var identification: String { String(cString: eegkit_fftwf_version()) }

    /// The release alone, e.g. `3.3.10`: ``identification`` without the `fftw-` prefix
    /// and the SIMD suffixes.
    public static var version: String {
        let name = identification
        let release = name.hasPrefix("fftw-") ? name.dropFirst(5) : Substring(name)
        return String(release.prefix { $0 != "-" })
    }
}
