import Foundation

/// The signed-in technician, as a Swift app holds it.
///
/// A thin layer over the generated `SignedInTechnician`: store calls run off
/// the caller's actor (the store does disk I/O), sync is `async`, sync state
/// is an `AsyncStream`, and the job list and each job are streams that follow
/// local steps and syncs. No rule of the visit lives here.
///
/// Every failure is an `OnsiteError` case named after the rule
/// (`.ChecklistIncomplete`, `.IllegalTransition`, `.MaterialRule`...) carrying
/// `code` (stable snake_case, to branch on and log), `msg` (the sentence for the
/// technician, in the language of `setLanguage`, zh-CN until then) and the
/// rule's facts as typed values (status, step, unanswered items with titles...).
/// `errorCode()` and `errorMessage()` read any case; `localizedDescription`
/// is the technician's sentence too:
///
///     do { try await tech.store { try $0.depart(jobId: id) } }
///     catch let OnsiteError.ChecklistIncomplete(_, msg, _, items) { highlight(items); show(msg) }
///     catch { show(error.localizedDescription) }
public final class OnsiteTechnician: @unchecked Sendable {
    /// The generated object, for anything this layer does not wrap.
    public let ffi: SignedInTechnician
    private let relay = SyncRelay()

    /// Exchanges a one-time enrollment code from HQ for this device's profile and token.
    /// Requests go through `http`: URLSession unless the app passes its own.
    public static func enroll(hqUrl: String, code: String, deviceId: String,
                              http: HttpBackend = URLSessionHttp()) async throws -> Enrollment {
        try await Onsite.enroll(hqUrl: hqUrl, code: code, deviceId: deviceId, http: http)
    }

    /// Opens (or creates) the technician's store, e.g. in Application Support,
    /// encrypted with `storeKey` (32 bytes, from `StoreKeychain.key(account:)`).
    /// A store of an earlier version is encrypted on this first open; another
    /// key throws `OnsiteError.WrongStoreKey` and leaves the file untouched.
    public static func open(storePath: String, storeKey: Data, profile: TechnicianProfile) async throws -> OnsiteTechnician {
        let ffi = try await Task.detached {
            try SignedInTechnician.open(storePath: storePath, storeKey: storeKey, profile: profile)
        }.value
        return OnsiteTechnician(ffi: ffi)
    }

    init(ffi: SignedInTechnician) {
        self.ffi = ffi
    }

    /// Idle, uploading photos, pushing n/m, pulling, offline (with retry delay) or failed.
    /// Each call gives a new stream that starts with the current state.
    public func syncStates() -> AsyncStream<SyncProgress> {
        relay.stream()
    }

    /// The language of labels, documents and error messages (zh-CN by default).
    public func setLanguage(_ language: Language) {
        ffi.setLanguage(language: language)
    }

    /// Points sync at HQ with the token from enrollment. Requests go through
    /// `http`: URLSession unless the app passes its own.
    public func connect(hqUrl: String, token: String, http: HttpBackend = URLSessionHttp()) throws {
        try ffi.connect(hqUrl: hqUrl, token: token, http: http)
    }

    /// Called once when HQ's remote wipe deleted this technician's store (the
    /// sync first handed in everything unsynced): the app's hook to delete the
    /// store's key from the Keychain and sign out. `syncNow` then throws
    /// `OnsiteError.Wiped` as well.
    ///
    ///     tech.onWiped = { try? StoreKeychain.delete(account: technicianId); await signOut() }
    public var onWiped: (@Sendable () async -> Void)?

    /// Uploads photos, pushes the outbox and pulls HQ's changes.
    public func syncNow() async throws -> SyncReport {
        do {
            return try await ffi.syncNow(observer: relay)
        } catch let error as OnsiteError {
            if case .Wiped = error, let hook = onWiped { await hook() }
            throw error
        }
    }

    public func cancelSync() {
        ffi.cancelSync()
    }

    /// Runs any store call of the generated API off the caller's actor:
    /// `let job = try await tech.store { try $0.arrive(jobId: id) }`.
    public func store<T: Sendable>(_ body: @escaping @Sendable (SignedInTechnician) throws -> T) async throws -> T {
        let ffi = self.ffi
        return try await Task.detached { try body(ffi) }.value
    }

    public func jobs() async throws -> [JobSummary] {
        try await store { try $0.jobs() }
    }

    /// The job's screen: full phone and address on the appointment day, masked otherwise.
    public func job(_ jobId: String) async throws -> JobDetail {
        try await store { try $0.job(jobId: jobId) }
    }

    /// The technician opens the customer's full phone and address; audited on the phone.
    public func revealJob(_ jobId: String) async throws -> JobDetail {
        try await store { try $0.revealJob(jobId: jobId) }
    }

    /// What a screen may offer on the job now, each offer with `blocked` (code
    /// and message in the technician's language) when it cannot be taken yet.
    public func availableActions(_ jobId: String) async throws -> [ActionOffer] {
        try await store { try $0.availableActions(jobId: jobId) }
    }

    /// The job list: the current one when iterated, then a new one after every
    /// local step and every sync that changes a job, so a screen never polls.
    /// Equal lists are not repeated; a store error ends the stream with it.
    public func watchJobs() -> AsyncThrowingStream<[JobSummary], Error> {
        watch(when: { _ in true }) { try $0.jobs() }
    }

    /// One job, as `watchJobs` for the list: now, then after each local step or
    /// sync that changes it.
    public func watchJob(_ jobId: String) -> AsyncThrowingStream<JobDetail, Error> {
        watch(when: { $0.contains(jobId) }) { try $0.job(jobId: jobId) }
    }

    /// Reads `read` now and after each change `when` accepts, until the
    /// consumer stops iterating (then the core's observer is removed).
    /// Signals are conflated: changes that land during a read give one more
    /// read, which sees them all.
    private func watch<T: Equatable & Sendable>(
        when wanted: @escaping @Sendable ([String]) -> Bool,
        read: @escaping @Sendable (SignedInTechnician) throws -> T
    ) -> AsyncThrowingStream<T, Error> {
        let ffi = self.ffi
        return AsyncThrowingStream { continuation in
            let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let subscription = ffi.subscribeJobs(observer: JobsSignal(wanted: wanted, signal: signal))
            // Subscribed before the first read: no change can fall between the two.
            signal.yield()
            // Detached: the store does disk I/O, off the consumer's actor.
            let reader = Task.detached {
                var last: T?
                do {
                    for await _ in signals {
                        let value = try read(ffi)
                        if value != last {
                            last = value
                            continuation.yield(value)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                ffi.unsubscribeJobs(subscription: subscription)
                signal.finish()
                reader.cancel()
            }
        }
    }
}

/// Turns the core's job-change callbacks into signals for one stream.
final class JobsSignal: JobsObserver, @unchecked Sendable {
    private let wanted: @Sendable ([String]) -> Bool
    private let signal: AsyncStream<Void>.Continuation

    init(wanted: @escaping @Sendable ([String]) -> Bool, signal: AsyncStream<Void>.Continuation) {
        self.wanted = wanted
        self.signal = signal
    }

    func jobsChanged(jobIds: [String]) {
        if wanted(jobIds) {
            signal.yield()
        }
    }
}

/// The technician's sentence is the error's description (`localizedDescription`,
/// alerts), not a dump of its fields: uniffi.toml turns the generated one off.
extension OnsiteError: LocalizedError {
    public var errorDescription: String? {
        errorMessage()
    }
}

/// Forwards the core's sync callbacks to every open stream.
final class SyncRelay: SyncObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var current: SyncProgress = .idle
    private var continuations: [UUID: AsyncStream<SyncProgress>.Continuation] = [:]

    func onProgress(progress: SyncProgress) {
        lock.lock()
        current = progress
        let targets = Array(continuations.values)
        lock.unlock()
        for c in targets {
            c.yield(progress)
        }
    }

    func stream() -> AsyncStream<SyncProgress> {
        AsyncStream { continuation in
            let id = UUID()
            lock.lock()
            continuations[id] = continuation
            let now = current
            lock.unlock()
            continuation.yield(now)
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                self.lock.lock()
                self.continuations[id] = nil
                self.lock.unlock()
            }
        }
    }
}
