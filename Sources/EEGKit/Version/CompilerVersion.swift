/// The Swift compiler that built this binary, e.g. `6.3.1`. Swift has no literal for it, so
/// it is found with `#if compiler` checks; a compiler newer than the newest checked
/// says so (`6.4 or later`), and `VersionTests` compares the result with `swift --version`
/// so a missing rung shows up as a failing test, not as a wrong bug report.
let compilerVersion: String = {
    #if compiler(>=6.4)
    return "6.4 or later"
    #elseif compiler(>=6.3.5)
    return "6.3.5 or later"
    #elseif compiler(>=6.3.4)
    return "6.3.4"
    #elseif compiler(>=6.3.3)
    return "6.3.3"
    #elseif compiler(>=6.3.2)
    return "6.3.2"
    #elseif compiler(>=6.3.1)
    return "6.3.1"
    #elseif compiler(>=6.3)
    return "6.3"
    #elseif compiler(>=6.2.4)
    return "6.2.4 or later"
    #elseif compiler(>=6.2.3)
    return "6.2.3"
    #elseif compiler(>=6.2.2)
    return "6.2.2"
    #elseif compiler(>=6.2.1)
    return "6.2.1"
    #elseif compiler(>=6.2)
    return "6.2"
    #elseif compiler(>=6.1.3)
    return "6.1.3 or later"
    #elseif compiler(>=6.1.2)
    return "6.1.2"
    #elseif compiler(>=6.1.1)
    return "6.1.1"
    #else
    return "6.1"
    #endif
}()
