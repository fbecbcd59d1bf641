import EEGDevices

/// One thing `eeg devices` lists: how to select it, what it is, whether it may be opened
/// now, and the fix when it may not.
public struct DeviceListing: Sendable, Equatable {
    /// The flags that select it, e.g. `--device cyton:DM00ABCD`.
    public var select: String
    /// What it is and where, e.g. "OpenBCI Cyton dongle (FTDI FT231X), USB 1-2 (/dev/bus/usb/001/004)".
    public var device: String
    /// "ok", "permission denied", "unusable" or "error".
    public var status: String
    /// What to do when the status is not "ok".
    public var fix: String?

    public var isUsable: Bool { status == "ok" }
}

/// What can be streamed from on this machine: the simulated headset, Cyton dongles on
/// USB, serial ports.
public enum DeviceInventory {
    /// Lists every device. With `check`, each accessible dongle is also opened and
    /// claimed, then let go, which proves it can be used right now, and the board behind
    /// each dongle or serial port is asked (a soft reset, `v`) for its firmware version
    /// and whether a Daisy is attached. Device serial numbers
    /// and paths are as the system reports them: escape them for where they go.
    public static func scan(check: Bool) -> [DeviceListing] {
        var rows = [DeviceListing(select: "--device sim", device: "simulated headset (8 ch, 250 Hz; --sim-channels, --sim-rate, --seed)", status: "ok")]
        do {
            rows += try CytonUSB.dongles().map { cytonListing($0, check: check) }
        } catch {
            rows.append(DeviceListing(select: "--device cyton", device: "USB: cannot list devices", status: "error", fix: "\(error)"))
        }
        for port in SerialPorts.candidates() {
            var row = DeviceListing(
                select: "--device cyton --port \(port.stableName ?? port.path)", device: "serial port \(port.path) (kernel ftdi_sio driver)",
                status: port.accessible ? "ok" : "permission denied",
                fix: port.accessible ? nil : "sudo usermod -aG dialout $USER (then log in again), or install the udev rules (eeg udev-rules)")
            if check && port.accessible { row.device += boardSummary(port: port.path) }
            rows.append(row)
        }
        return rows
    }

    /// "; board: firmware v3.1.2, Daisy attached", or why the board did not answer.
    static func boardSummary(_ banner: CytonBanner?, error: DeviceError?) -> String {
        if let banner {
            return "; board: firmware \(banner.firmware ?? "before v2 (not stated)"), \(banner.daisy ? "Daisy attached (16 channels)" : "no Daisy")"
        }
        return error.map { "; board did not answer: \($0)" } ?? ""
    }

    /// Opens `port`, asks the board behind it, closes it.
    static func boardSummary(port: String) -> String {
        do {
            let transport = try SerialPortTransport(path: port)
            defer { transport.close() }
            return boardSummary(try CytonDriver.identifyBoard(on: transport, timeout: .milliseconds(1500)), error: nil)
        } catch {
            return boardSummary(nil, error: error)
        }
    }

    private static func cytonListing(_ dongle: USBDeviceInfo, check: Bool) -> DeviceListing {
        var row = DeviceListing(
            select: "--device cyton" + (dongle.serialNumber.map { ":\($0)" } ?? ""),
            device: "OpenBCI Cyton dongle (FTDI FT231X), USB \(dongle.location) (\(dongle.devicePath))",
            status: dongle.accessible ? "ok" : "permission denied",
            fix: dongle.accessible ? nil : "eeg udev-rules | sudo tee /etc/udev/rules.d/60-eegkit.rules && sudo udevadm control --reload-rules && sudo udevadm trigger, then replug")
        guard check && dongle.accessible else { return row }
        do {
            let result = try CytonUSB.check(dongle, askBoard: true)
            row.device += result.detachedKernelDriver ? "; claimed (its kernel driver ftdi_sio was detached and given back)" : "; claimed"
            row.device += boardSummary(result.board, error: result.boardError)
        } catch {
            row.status = "unusable"
            row.fix = error.description
        }
        return row
    }
}
