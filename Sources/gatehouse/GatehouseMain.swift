import ArgumentParser
import Dispatch
import GatehouseCLI
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

@main
enum GatehouseMain {
    /// Synchronous, so that SwiftNIO's event loops become Swift concurrency's global executor
    /// before any task runs: request handlers then run on the loop that read the request
    /// instead of hopping to Dispatch's threads and back.
    static func main() {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        Task {
            await Gatehouse.main()
            exit(0)
        }
        dispatchMain()
    }
}
