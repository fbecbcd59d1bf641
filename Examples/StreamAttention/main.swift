// The README's library example: stream 90 s from the simulated headset and print the
// attention score once a second. Built with the package, so it cannot rot.
import EEGKit

let headset = try DeviceDescription.simulated(.init(seed: 1, speed: .infinity)).makeDevice().device  // speed: 1 for real time
var options = StreamOptions()
options.emit = .none          // no lines of output: we take the analyzer's updates
options.analyze = true
options.frameLimit = 250 * 90 // 90 s of device time
let session = StreamSession(device: headset, options: options)
var lastSecond = -1
_ = try session.run(
    write: { _ in }, status: { print("device:", $0) },
    onAnalysis: { update in
        let second = Int(update.time)
        guard second != lastSecond, second % 5 == 0 else { return }
        lastSecond = second
        let attention = update.scores.attention.map { "\(Int($0.rounded()))" } ?? "calibrating"
        let engagement = update.smoothedRatios.engagement.map { String(format: "%.3f", $0) } ?? "-"
        print("\(second) s  attention \(attention)  engagement \(engagement)")
    },
    stopRequested: { false })
