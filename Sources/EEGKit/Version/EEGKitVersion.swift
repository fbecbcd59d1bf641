/// EEGKit's release number: what `eeg --version` prints and what the Debian package is
/// versioned as. The Makefile reads it from the line below (`make deb`, `make install`),
/// and `VersionTests` checks it against the git tag when HEAD is tagged (`v0.1.0` or
/// `0.1.0`), so a plain `swift build` and a release build print the same number.
/// Bump it in the commit that a release tag will point at.
public enum EEGKitVersion {
    public static let number = "0.1.0"
}
