import EEGCore
import EEGDSP
import EEGFormats
import EEGLSL
import Foundation

/// What `--lsl`, `--lsl-name`, `--lsl-type` and `--lsl-chunk` ask for: three LSL outlets
/// beside the session's other outputs.
public struct LSLOptions: Sendable, Equatable {
    /// The EEG stream's name; the metrics and markers streams add "-metrics" and "-markers".
    public var name = "EEGKit"
    /// The EEG stream's content type.
    public var type = "EEG"
    /// The fewest samples per hand-over to the network thread: it is woken once per
    /// delivered batch that brings the samples not yet handed over to at least this many
    /// (1 = every batch; larger values cost fewer wake-ups and add up to chunk / rate of
    /// latency).
    public var chunk = 1
    /// The stable id inlets reconnect by (`eegkit-sim-seed-7`, `eegkit-cyton-SERIAL`, …).
    public var sourceID: String
    /// The environment the liblsl configuration is looked up in (LSLAPICFG, HOME).
    public var environment: [String: String]

    public init(sourceID: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.sourceID = sourceID
        self.environment = environment
    }
}

extension DeviceDescription {
    /// The LSL `source_id` of this device, stable across restarts so inlets reconnect:
    /// the dongle's serial for a Cyton (else its port, else "cyton"), the seed for the
    /// simulated headset.
    public var lslSourceID: String {
        switch self {
        case .simulated(let s): return "eegkit-sim-seed-\(s.seed)"
        case .cyton(let c): return "eegkit-cyton-" + (c.serial ?? c.port ?? "default")
        case .rawCytonCapture(let path, _, _): return "eegkit-replay-" + URL(fileURLWithPath: path).lastPathComponent
        }
    }
}

/// The session's LSL outlets: EEG (float32 µV), metrics (one sample per analyzer
/// hop, channels in ``Metric/all`` order, NaN for a metric not available yet),
/// markers (strings: every marker and every gap or device annotation, as it happens)
/// and, with aux channels, aux (float32, one sample per EEG sample, same timestamp),
/// described by ``SessionStreamInfos`` and stamped by the session's clock (shared with
/// an XDF recording).
///
/// Threading: called only from the session's thread (the single producer of all three
/// outlets); `publish` is allocation- and lock-free per sample.
final class LSLPublisher {
    let service: LSLService
    let eeg: LSLOutlet, metrics: LSLOutlet, markers: LSLOutlet
    /// The aux outlet, when the streams have one (``SessionStreamInfos/aux``).
    let aux: LSLOutlet?
    private let clock: SessionClock
    private let chunk: Int
    private var unpublished = 0
    private let metricValues: UnsafeMutableBufferPointer<Float>
    private var lastIndex: Int64?
    /// Markers published before the first sample: their time is the first sample's, which
    /// only its batch tells (a recording places them at its start, so both agree).
    private var beforeFirstSample: [String] = []
    /// More markers than this before the first sample are stamped when they come.
    private static let beforeFirstSampleLimit = 1024

    /// - Parameter streams: the streams' descriptions (``SessionStreamInfos/make``),
    ///   metrics included; aux when the layout has aux channels.
    init(options: LSLOptions, streams: SessionStreamInfos, clock: SessionClock) throws {
        guard let metricsInfo = streams.metrics, metricsInfo.channelCount == Metric.all.count else {
            preconditionFailure("the metrics outlet publishes every metric of Metric.all")
        }
        let configuration = try LSLConfiguration.load(environment: options.environment)
        let service = try LSLService(configuration: configuration)
        // An outlet that cannot bind must not leave the others served for the process's life.
        do {
            eeg = try service.addOutlet(streams.eeg, format: .float32, queueSamples: max(4096, Int(streams.eeg.nominalRate * 4)))
            metrics = try service.addOutlet(metricsInfo, format: .float32)
            markers = try service.addOutlet(streams.markers, format: .string)
            aux = try streams.aux.map { try service.addOutlet($0, format: .float32, queueSamples: max(4096, Int($0.nominalRate * 4))) }
        } catch {
            service.stop()
            throw error
        }
        self.service = service
        self.clock = clock
        chunk = max(1, options.chunk)
        metricValues = .allocate(capacity: metricsInfo.channelCount)
    }

    deinit {
        metricValues.deallocate()
        service.stop()
    }

    /// One batch of frames as delivered (after the recorder's rounding), after the
    /// session's clock observed it, with their aux values (`auxiliary`: `auxCount` per
    /// frame, interleaved; empty without aux), each aux sample stamped as its frame.
    func publish(samples: UnsafeBufferPointer<Float>, indices: UnsafeBufferPointer<Int64>, channels: Int,
                 auxiliary: UnsafeBufferPointer<Float> = .init(start: nil, count: 0), auxCount: Int = 0) {
        guard let last = indices.last else { return }
        let withAux = aux != nil && auxCount > 0 && auxiliary.count == indices.count * auxCount
        for (i, index) in indices.enumerated() {
            let timestamp = clock.timestamp(of: index)
            eeg.push(UnsafeBufferPointer(rebasing: samples[(i * channels)..<((i + 1) * channels)]), timestamp: timestamp)
            if withAux { aux?.push(UnsafeBufferPointer(rebasing: auxiliary[(i * auxCount)..<((i + 1) * auxCount)]), timestamp: timestamp) }
        }
        // One wake-up per batch (or per `chunk` samples across batches), never per sample.
        unpublished += indices.count
        if unpublished >= chunk {
            eeg.publish(togetherWith: withAux ? aux : nil)
            unpublished = 0
        }
        if lastIndex == nil, let first = indices.first { publishWaitingMarkers(at: clock.timestamp(of: first)) }
        lastIndex = last
    }

    private func publishWaitingMarkers(at timestamp: Double) {
        guard !beforeFirstSample.isEmpty else { return }
        for text in beforeFirstSample { markers.push(text, timestamp: timestamp) }
        markers.publish()
        beforeFirstSample = []
    }

    /// One analyzer update: the shown metrics, stamped at the window's last sample.
    func publish(_ update: LiveAnalysis) {
        let shown = update.shownMetrics
        for (i, metric) in Metric.all.enumerated() { metricValues[i] = Float(shown[metric] ?? .nan) }
        metrics.push(UnsafeBufferPointer(metricValues), timestamp: clock.timestamp(of: update.sampleIndex))
        metrics.publish()
    }

    /// A marker or annotation, stamped at the stream's current end. Before the first
    /// sample it waits for that sample and takes its timestamp, as an XDF recording of
    /// the session does (its clock has no anchor yet; stamping "now" made the two differ).
    func publish(marker text: String) {
        guard let lastIndex else {
            if beforeFirstSample.count < Self.beforeFirstSampleLimit { beforeFirstSample.append(text); return }
            markers.push(text, timestamp: LSLClock.now())
            markers.publish()
            return
        }
        let timestamp = clock.timestamp(of: lastIndex + 1)
        markers.push(text, timestamp: timestamp)
        markers.publish()
    }
}
