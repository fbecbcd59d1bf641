import Foundation

/// glibc's pseudo-terminal calls, which Swift's Glibc module does not expose (they sit
/// behind _XOPEN_SOURCE), looked up at run time.
public enum PTY {
    private static func function<T>(_ name: String, as: T.Type) -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("\(name) not in libc") }
        return unsafeBitCast(symbol, to: T.self)
    }
    public static let openMaster = function("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    public static let grant = function("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    public static let unlock = function("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    public static let slaveName = function("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
}
