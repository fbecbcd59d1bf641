import Testing
@testable import EEGKit

/// Multicast groups the outlets could not join (LSLService.multicastJoinFailures) are said
/// once, naming them (at most four, then a count), with what it means for inlets.
@Suite("LSL: multicast join failures said")
struct LSLJoinNoteTests {
    @Test("names the groups, then a count")
    func note() {
        let one = StreamSession.multicastJoinNote(["239.255.172.215 on 10.0.0.2"])
        #expect(one == "LSL discovery: could not join multicast group 239.255.172.215 on 10.0.0.2; inlets resolving by multicast there will not find these streams")
        let many = StreamSession.multicastJoinNote((1...6).map { "224.0.0.183 on 10.0.0.\($0)" })
        #expect(many.contains("224.0.0.183 on 10.0.0.4 and 2 more;"))
        #expect(!many.contains("10.0.0.5"))
    }
}
