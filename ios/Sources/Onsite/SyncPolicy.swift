import Foundation

/// When the shell syncs: the same policy as the Kotlin shell's `SyncPolicy.kt`
/// (tested there on the JVM), decision for decision. No iOS type: the glue
/// (`BackgroundSync.swift`) turns each `SyncPlan` into BGTaskScheduler
/// requests and feeds NWPathMonitor's and the app's events in.
///
/// - a visit handed over is synced at once (`handedOver()` -> `.runNow(expedited: true)`);
/// - offline nothing runs (`.waitForNetwork`); when the network returns with
///   work pending a sync runs (`connectivityChanged(online:)`);
/// - a failed sync is retried after a wait that doubles up to the cap, jittered,
///   and starts from the base again after a success;
/// - a periodic sync pulls new jobs: every 15 min while work waits, hourly otherwise;
/// - a revoked device or a remote wipe stops everything (`.stop(reason)`).
///
/// Calls are serialised by a lock: any thread or queue may call them.
public final class SyncPolicy: @unchecked Sendable {
    /// While visits wait to be sent.
    public static let periodicPendingMs: Int64 = 15 * 60_000
    /// With nothing to send: a pull for new jobs every hour.
    public static let periodicIdleMs: Int64 = 60 * 60_000

    public let backoff: SyncBackoff
    private let clock: @Sendable () -> Int64
    private let random: @Sendable () -> Double
    private let lock = NSLock()

    private var online = true
    private var pending = false
    private var photosPending = false
    private var urgent = false
    private var running = false
    private var again = false
    private var againExpedited = false
    private var failures = 0
    private var retryAtMs: Int64?
    private var stopped: StopReason?

    /// `clock` is milliseconds since any fixed origin; `random` gives numbers in [0, 1) for jitter.
    public init(
        backoff: SyncBackoff = SyncBackoff(),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.backoff = backoff
        self.clock = clock
        self.random = random
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    public var consecutiveFailures: Int { locked { failures } }
    public var stopReason: StopReason? { locked { stopped } }
    /// Whether the next background sync carries photos (ask for a processing task).
    public var photosWaiting: Bool { locked { photosPending } }
    public var periodicIntervalMs: Int64 { locked { interval() } }

    private func interval() -> Int64 { pending ? Self.periodicPendingMs : Self.periodicIdleMs }

    /// A new sign-in: forget the last one's failures and stop.
    public func reset() {
        locked {
            online = true
            pending = false
            photosPending = false
            urgent = false
            running = false
            again = false
            againExpedited = false
            failures = 0
            retryAtMs = nil
            stopped = nil
        }
    }

    /// The app started or came back with `pendingWork` changes and photos not
    /// yet at HQ (`pendingWork()` of the generated API).
    public func started(pendingWork: Int64, online: Bool) -> SyncPlan {
        locked {
            self.online = online
            pending = pendingWork > 0
            if let stopped { return .stop(stopped) }
            if running { return .running }
            if !pending { return .idle(periodicMs: interval()) }
            if !online { return .waitForNetwork }
            return run(expedited: false)
        }
    }

    /// A visit was handed over: sync now, expedited.
    public func handedOver() -> SyncPlan {
        locked {
            pending = true
            urgent = true
            return wantNow(expedited: true)
        }
    }

    /// A local step queued work; it goes with the next sync.
    public func workQueued(photos: Bool = false) -> SyncPlan {
        locked {
            pending = true
            if photos { photosPending = true }
            if let stopped { return .stop(stopped) }
            return .idle(periodicMs: interval())
        }
    }

    /// Pull to refresh: now, whatever the backoff says.
    public func userAsked() -> SyncPlan {
        locked { wantNow(expedited: true) }
    }

    /// NWPathMonitor reported the path satisfied (`online`) or not.
    public func connectivityChanged(online: Bool) -> SyncPlan {
        locked {
            let returned = online && !self.online
            self.online = online
            if let stopped { return .stop(stopped) }
            if !online { return .waitForNetwork }
            if running { return .running }
            // Expedited while a handed-over visit is still unsent.
            if returned && (pending || retryAtMs != nil) { return run(expedited: urgent) }
            return idleOrRetry()
        }
    }

    /// A timer or a BG task fired: what to do now. A retry fires only once its time has come.
    public func due() -> SyncPlan {
        locked {
            if let stopped { return .stop(stopped) }
            if !online { return .waitForNetwork }
            if running { return .running }
            if let at = retryAtMs, clock() < at { return .retryAt(atMs: at, attempt: failures) }
            return run(expedited: false)
        }
    }

    /// The sync a `.runNow` asked for ended with `outcome`: the next plan.
    public func finished(_ outcome: SyncOutcome) -> SyncPlan {
        locked {
            running = false
            switch outcome {
            case .synced(let pendingWork):
                failures = 0
                retryAtMs = nil
                pending = pendingWork > 0
                photosPending = false
                urgent = false
            case .retry:
                failures += 1
                retryAtMs = clock() + backoff.delayMs(attempt: failures, random: random())
            case .failed:
                failures = 0
                retryAtMs = nil
            case .stopped(let reason):
                stopped = reason
            case .cancelled:
                break
            }
            if let stopped { return .stop(stopped) }
            var isRetry = false
            if case .retry = outcome { isRetry = true }
            if again && !isRetry {
                return online ? run(expedited: againExpedited) : .waitForNetwork
            }
            if isRetry && !online { return .waitForNetwork }
            return idleOrRetry()
        }
    }

    // Called with the lock held.
    private func wantNow(expedited: Bool) -> SyncPlan {
        if let stopped { return .stop(stopped) }
        if running {
            again = true
            againExpedited = againExpedited || expedited
            return .running
        }
        return online ? run(expedited: expedited) : .waitForNetwork
    }

    private func run(expedited: Bool) -> SyncPlan {
        running = true
        again = false
        againExpedited = false
        return .runNow(expedited: expedited)
    }

    private func idleOrRetry() -> SyncPlan {
        if let at = retryAtMs { return .retryAt(atMs: at, attempt: failures) }
        return .idle(periodicMs: interval())
    }
}

/// What the shell does next.
public enum SyncPlan: Equatable, Sendable {
    /// Sync now, then report with `finished(_:)`.
    case runNow(expedited: Bool)
    /// A sync is running; what was asked is folded into one more right after it.
    case running
    /// Retry at `atMs` (the policy's clock); `attempt` failures so far.
    case retryAt(atMs: Int64, attempt: Int)
    /// Nothing until the network returns.
    case waitForNetwork
    /// Nothing now; keep the periodic sync.
    case idle(periodicMs: Int64)
    /// Stop syncing, cancel every scheduled sync, tell the app.
    case stop(StopReason)
}

public enum StopReason: Equatable, Sendable {
    /// HQ revoked or no longer knows this device's token (401/403): enroll again.
    case signedOut
    /// HQ's remote wipe: the store is gone and `onWiped` ran.
    case wiped
}

/// How a sync ended, as the scheduler sees it.
public enum SyncOutcome: Equatable, Sendable {
    case synced(pendingWork: Int64)
    case retry(code: String)
    case failed(code: String)
    case stopped(StopReason)
    case cancelled

    /// The decision for each of the core's typed errors (as the Kotlin shell's `SyncOutcome.of`).
    public static func of(_ error: OnsiteError) -> SyncOutcome {
        switch error {
        case let .Offline(code, _, _):
            return .retry(code: code)
        case let .Hq(code, _, status, _):
            switch status {
            case 401, 403: return .stopped(.signedOut)
            case 408, 425, 429, 500...599: return .retry(code: code)
            default: return .failed(code: code)
            }
        case .Wiped:
            return .stopped(.wiped)
        case .Cancelled:
            return .cancelled
        default:
            return .failed(code: error.errorCode())
        }
    }
}

/// Exponential backoff: before retry `attempt` (1 = after the first failure)
/// wait `baseMs * 2^(attempt-1)`, at most `capMs`, times a factor in `[1 - jitter, 1]`.
public struct SyncBackoff: Equatable, Sendable {
    public let baseMs: Int64
    public let capMs: Int64
    public let jitter: Double

    public init(baseMs: Int64 = 30_000, capMs: Int64 = 30 * 60_000, jitter: Double = 0.5) {
        precondition(baseMs > 0 && capMs >= baseMs && (0...1).contains(jitter), "bad backoff")
        self.baseMs = baseMs
        self.capMs = capMs
        self.jitter = jitter
    }

    public func ceilingMs(attempt: Int) -> Int64 {
        var d = baseMs
        var n = max(attempt - 1, 0)
        while n > 0 && d < capMs {
            d *= 2
            n -= 1
        }
        return min(d, capMs)
    }

    public func floorMs(attempt: Int) -> Int64 {
        Int64(Double(ceilingMs(attempt: attempt)) * (1 - jitter))
    }

    public func delayMs(attempt: Int, random: Double) -> Int64 {
        let ceiling = ceilingMs(attempt: attempt)
        let floor = floorMs(attempt: attempt)
        return floor + Int64(Double(ceiling - floor) * min(max(random, 0), 1))
    }
}

extension SyncPolicy {
    /// Runs the sync a `.runNow` asked for and hands its outcome to the policy: the next plan.
    public func sync(_ tech: OnsiteTechnician) async -> SyncPlan {
        do {
            _ = try await tech.syncNow()
            let pending = (try? await tech.store { try $0.pendingWork() }).map { Int64(clamping: $0) } ?? 1
            return finished(.synced(pendingWork: pending))
        } catch let error as OnsiteError {
            return finished(SyncOutcome.of(error))
        } catch {
            return finished(.cancelled)
        }
    }
}
