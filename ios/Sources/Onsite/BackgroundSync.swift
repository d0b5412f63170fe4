#if os(iOS)
import BackgroundTasks
import Foundation
import Network
import UIKit

/// Sync when it makes sense, on iOS: the glue of `SyncPolicy`. Every decision
/// is the policy's; this turns its `SyncPlan`s into BGTaskScheduler requests
/// (an app refresh task for the periodic sync and retries, a processing task
/// that requires network for syncs that carry photos or wait for the network)
/// and NWPathMonitor's and the app's events into the policy's.
///
/// The app lists both identifiers under `BGTaskSchedulerPermittedIdentifiers`
/// and `fetch` + `processing` under `UIBackgroundModes` in its Info.plist, and:
///
///     // application(_:didFinishLaunchingWithOptions:), before it returns:
///     BackgroundSync.shared.register()
///     // once the technician's store is open and connected:
///     await BackgroundSync.shared.install(tech) { reason in signOut(reason) }
///     // after tech.handOver(...):       BackgroundSync.shared.handedOver()
///     // after addPhoto / other steps:   BackgroundSync.shared.workQueued(photos: true)
///     // signing out:                    BackgroundSync.shared.uninstall()
///
/// iOS decides when a background task really runs (battery, usage, Low Power
/// Mode): `earliestBeginDate` is a floor, not an appointment. While the app is
/// in the foreground, a timer and NWPathMonitor drive the policy instead.
public final class BackgroundSync: @unchecked Sendable {
    /// The periodic sync and retries (BGAppRefreshTask, ~30 s of run time).
    public static let refreshTaskId = "app.onsite.sync.refresh"
    /// A sync with photos, or one waiting for the network (BGProcessingTask, minutes).
    public static let processingTaskId = "app.onsite.sync.processing"

    public static let shared = BackgroundSync()

    /// The one policy of this process.
    public let policy = SyncPolicy()

    private let lock = NSLock()
    private let queue = DispatchQueue(label: "app.onsite.sync")
    private var tech: OnsiteTechnician?
    private var onStopped: (@Sendable (StopReason) -> Void)?
    private var monitor: NWPathMonitor?
    private var timer: Task<Void, Never>?
    private var startPending: Int64?

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Registers the background tasks' launch handlers. Call it before
    /// `application(_:didFinishLaunchingWithOptions:)` returns (BGTaskScheduler's rule).
    public func register() {
        for id in [Self.refreshTaskId, Self.processingTaskId] {
            _ = BGTaskScheduler.shared.register(forTaskWithIdentifier: id, using: nil) { [weak self] task in
                guard let self else {
                    task.setTaskCompleted(success: false)
                    return
                }
                self.run(task)
            }
        }
    }

    /// Starts syncing for `tech`: a sync now if work waits, the periodic sync,
    /// and the path monitor. `onStopped` is called once when syncing stops for good.
    public func install(_ tech: OnsiteTechnician, onStopped: @escaping @Sendable (StopReason) -> Void) async {
        let pending = (try? await tech.store { try $0.pendingWork() }).map { Int64(clamping: $0) } ?? 0
        let monitor = NWPathMonitor()
        let newSignIn = locked { self.tech !== tech }
        if newSignIn { policy.reset() }
        locked {
            self.tech = tech
            self.onStopped = onStopped
            self.startPending = pending
            self.monitor?.cancel()
            self.monitor = monitor
        }
        // The first update reports the current path (the policy's start);
        // each later one a change.
        monitor.pathUpdateHandler = { [weak self] path in
            guard let self else { return }
            let online = path.status == .satisfied
            if let pending = self.takeStartPending() {
                self.apply(self.policy.started(pendingWork: pending, online: online))
            } else {
                self.apply(self.policy.connectivityChanged(online: online))
            }
        }
        monitor.start(queue: queue)
    }

    private func takeStartPending() -> Int64? {
        locked {
            defer { startPending = nil }
            return startPending
        }
    }

    /// Signing out: no more syncs, no monitor.
    public func uninstall() {
        let (monitor, timer) = locked { () -> (NWPathMonitor?, Task<Void, Never>?) in
            defer {
                self.monitor = nil
                self.timer = nil
                self.tech = nil
            }
            return (self.monitor, self.timer)
        }
        monitor?.cancel()
        timer?.cancel()
        BGTaskScheduler.shared.cancelAllTaskRequests()
    }

    public func handedOver() { apply(policy.handedOver()) }
    public func workQueued(photos: Bool = false) { apply(policy.workQueued(photos: photos)) }
    public func userAsked() { apply(policy.userAsked()) }

    /// A background task iOS launched: ask the policy, sync if it says so, and
    /// complete the task. On expiry the core's sync is cancelled at its next
    /// safe point (what was pushed stays pushed).
    private func run(_ task: BGTask) {
        guard let tech = locked({ self.tech }) else {
            task.setTaskCompleted(success: false)
            return
        }
        let plan = policy.due()
        guard case .runNow = plan else {
            apply(plan)
            task.setTaskCompleted(success: true)
            return
        }
        task.expirationHandler = { tech.cancelSync() }
        Task {
            let next = await policy.sync(tech)
            apply(next)
            if case .retryAt = next {
                task.setTaskCompleted(success: false)
            } else {
                task.setTaskCompleted(success: true)
            }
        }
    }

    /// A sync in the foreground; iOS gives it a little time if the app goes to
    /// the background meanwhile. On expiry the sync is cancelled and the time
    /// handed back at once (UIKit ends an app that keeps it).
    private func runInApp(_ tech: OnsiteTechnician) {
        Task { @MainActor in
            let time = BackgroundTime()
            time.id = UIApplication.shared.beginBackgroundTask(withName: "onsite.sync") {
                tech.cancelSync()
                time.end()
            }
            let next = await self.policy.sync(tech)
            self.apply(next)
            time.end()
        }
    }

    /// The plan, as requests to BGTaskScheduler (and a timer while the app runs).
    func apply(_ plan: SyncPlan) {
        switch plan {
        case .runNow:
            guard let tech = locked({ self.tech }) else {
                _ = policy.finished(.cancelled)
                return
            }
            runInApp(tech)
        case .running:
            break
        case let .retryAt(atMs, _):
            let wait = max(atMs - nowMs(), 0)
            submitRefresh(after: wait)
            // In the foreground no background task runs: a timer asks the policy again.
            let timer = Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(wait) * 1_000_000)
                guard !Task.isCancelled, let self else { return }
                self.apply(self.policy.due())
            }
            locked {
                self.timer?.cancel()
                self.timer = timer
            }
        case .waitForNetwork:
            // NWPathMonitor wakes the policy while the app runs; this runs when
            // the network returns while it does not.
            submitProcessing()
        case let .idle(periodicMs):
            submitRefresh(after: periodicMs)
            if policy.photosWaiting { submitProcessing() }
        case let .stop(reason):
            let hook = locked { () -> (@Sendable (StopReason) -> Void)? in
                defer { self.onStopped = nil }
                return self.onStopped
            }
            uninstall()
            hook?(reason)
        }
    }

    private func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func submitRefresh(after ms: Int64) {
        let request = BGAppRefreshTaskRequest(identifier: Self.refreshTaskId)
        request.earliestBeginDate = Date(timeIntervalSinceNow: Double(ms) / 1000)
        // A new request with the same identifier replaces the pending one.
        try? BGTaskScheduler.shared.submit(request)
    }

    private func submitProcessing() {
        let request = BGProcessingTaskRequest(identifier: Self.processingTaskId)
        request.requiresNetworkConnectivity = true
        request.requiresExternalPower = false
        try? BGTaskScheduler.shared.submit(request)
    }
}

/// The identifier of extra background time, ended once.
@MainActor
private final class BackgroundTime {
    var id: UIBackgroundTaskIdentifier = .invalid

    func end() {
        guard id != .invalid else { return }
        UIApplication.shared.endBackgroundTask(id)
        id = .invalid
    }
}
#endif
