import Foundation
import SatchelTestSupport
import Testing

/// Until issue 6 builds it, the reference platform says plainly that it is not built and exits 69.
@Suite struct PlatformCommandTests {
    @Test func serveSaysItIsNotBuiltAndExits69() throws {
        let result = try ProcessRunner.run(binary: "satchel-platform", ["serve"])
        #expect(result.status == 69)
        #expect(result.stdout.contains("not built yet"))
    }
}
