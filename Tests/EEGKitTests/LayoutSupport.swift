import EEGKit

extension StreamLayout {
    /// A test input's layout: these labels at `rate` Hz.
    static func test(rate: Double, labels: [String]) -> StreamLayout {
        StreamLayout(labels: labels, sampleRate: rate, fullScale: 187_500, source: "test input")
    }

    /// A test input's layout: `channels` channels named ch1…chN at `rate` Hz.
    static func test(rate: Double, channels: Int) -> StreamLayout {
        test(rate: rate, labels: numberedLabels(channels))
    }
}
