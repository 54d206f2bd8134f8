#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGTERM/SIGINT delivery that works whichever thread the kernel picks: a plain `sigaction` handler
/// writes the signal number to a self-pipe, and a dedicated thread turns it into a callback.
///
/// The first signal triggers the service group's graceful shutdown (logged); a second one exits at once
/// with status 1, for an operator who does not want to wait for the drain.
enum SignalWatcher {
    nonisolated(unsafe) static var writeFD: Int32 = -1

    /// Installs handlers for `signals`; `onSignal` runs on a background thread for every signal received.
    static func install(_ signals: [Int32], onSignal: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        writeFD = fds[1]
        let readFD = fds[0]
        for number in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalWatcher.writeFD, &byte, 1)
            }
            #else
            action.__sigaction_u.__sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalWatcher.writeFD, &byte, 1)
            }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        let box = Box(readFD: readFD, onSignal: onSignal)
        var thread = pthread_t()
        let unmanaged = Unmanaged.passRetained(box)
        pthread_create(&thread, nil, { raw in
            #if canImport(Glibc)
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            #else
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            #endif
            var byte: UInt8 = 0
            while true {
                let n = read(box.readFD, &byte, 1)
                if n == 1 { box.onSignal(Int32(byte)) } else if n < 0 && errno == EINTR { continue } else { break }
            }
            return nil
        }, unmanaged.toOpaque())
        pthread_detach(thread)
    }

    final class Box: @unchecked Sendable {
        let readFD: Int32
        let onSignal: @Sendable (Int32) -> Void
        init(readFD: Int32, onSignal: @escaping @Sendable (Int32) -> Void) {
            self.readFD = readFD
            self.onSignal = onSignal
        }
    }
}
