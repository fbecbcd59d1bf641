// `import EEGKit` brings the whole toolkit: core types and the ring (EEGCore) and the
// signal processing (EEGDSP), plus the session-level pieces defined in this module.
@_exported import EEGCore
@_exported import EEGDSP
@_exported import EEGDevices
@_exported import EEGFormats
