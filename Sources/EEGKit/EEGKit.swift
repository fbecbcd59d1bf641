// `import EEGKit` brings the whole toolkit: core types and the ring (EEGCore), the signal
// processing (EEGDSP), the file formats (EEGFormats), and the session-level pieces
// defined in this module.
//
// Devices are built here from a ``DeviceDescription``, not by callers: of EEGDevices only
// what a caller of a session handles is re-exported — the device protocol, its states,
// events and errors, a raw capture's counts, the device table (udev rules). Drivers,
// transports and simulators (`CytonDriver`, `SerialPortTransport`, `SimulatedHeadset`,
// `RawCytonReplay`) stay inside; code that writes its own driver imports EEGDevices.
@_exported import EEGCore
@_exported import EEGDSP
@_exported import EEGFormats
// The LSL outlet's errors and configuration, so callers can map and report them.
@_exported import struct EEGLSL.LSLError
@_exported import struct EEGLSL.LSLConfigurationError
@_exported import protocol EEGDevices.EEGDevice
@_exported import enum EEGDevices.DeviceState
@_exported import enum EEGDevices.DeviceEvent
@_exported import class EEGDevices.DeviceEvents
@_exported import enum EEGDevices.DeviceError
@_exported import class EEGDevices.RawCapture
@_exported import enum EEGDevices.DeviceTable
@_exported import enum EEGDevices.CytonSDError
@_exported import struct EEGDevices.CytonSDProblem
@_exported import enum EEGDevices.CytonAuxMode
