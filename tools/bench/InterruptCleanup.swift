import Dispatch
import Foundation
import HarnessKit

/// Removes the temporary directory if the run is interrupted (SIGINT/SIGTERM), then exits.
final class InterruptCleanup {
    private let sources: [any DispatchSourceSignal]

    init(directory: TemporaryDirectory) {
        sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                directory.remove()
                exit(128 + signalNumber)
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
