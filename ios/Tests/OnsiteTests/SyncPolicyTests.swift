// Mirrors the policy-only `sync policy:` stories of
// android/onsite/src/test/kotlin/app/onsite/SyncPolicyStories.kt: the Swift
// SyncPolicy must decide exactly as the Kotlin one. Not compiled on the Linux
// CI machine (no Swift toolchain); run with `swift test` on a Mac.
import Foundation
import Onsite
import XCTest

/// The policy's clock, moved by the test; no sleeping.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var ms: Int64 = 1_000_000
    var nowMs: Int64 {
        get { lock.lock(); defer { lock.unlock() }; return ms }
        set { lock.lock(); ms = newValue; lock.unlock() }
    }
}

/// Jitter draws that alternate between the lowest and the highest value.
final class AlternatingDraws: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Double {
        lock.lock(); defer { lock.unlock() }
        n += 1
        return n % 2 == 1 ? 0.0 : 0.999_999
    }
}

final class SyncPolicyTests: XCTestCase {
    private func policy(_ clock: TestClock, random: @escaping @Sendable () -> Double = { 0.0 }) -> SyncPolicy {
        SyncPolicy(backoff: SyncBackoff(baseMs: 30_000, capMs: 30 * 60_000, jitter: 0.5), clock: { clock.nowMs }, random: random)
    }

    func testAHandedOverVisitSyncsAtOnceExpedited() {
        let clock = TestClock()
        let p = policy(clock)
        XCTAssertEqual(p.started(pendingWork: 0, online: true), .idle(periodicMs: SyncPolicy.periodicIdleMs))
        XCTAssertEqual(p.workQueued(), .idle(periodicMs: SyncPolicy.periodicPendingMs))
        XCTAssertEqual(p.handedOver(), .runNow(expedited: true))
        XCTAssertEqual(p.handedOver(), .running)
        XCTAssertEqual(p.due(), .running)
        XCTAssertEqual(p.started(pendingWork: 2, online: true), .running)
        XCTAssertEqual(p.finished(.synced(pendingWork: 5)), .runNow(expedited: true))
        XCTAssertEqual(p.finished(.synced(pendingWork: 0)), .idle(periodicMs: SyncPolicy.periodicIdleMs))
        XCTAssertEqual(p.due(), .runNow(expedited: false))
        guard case let .retryAt(atMs, _) = p.finished(.retry(code: "offline")) else { return XCTFail("a retry") }
        XCTAssertGreaterThan(atMs, clock.nowMs)
        XCTAssertEqual(p.handedOver(), .runNow(expedited: true))
    }

    func testOfflineNothingRunsUntilTheNetworkReturns() {
        let clock = TestClock()
        let p = policy(clock)
        XCTAssertEqual(p.started(pendingWork: 3, online: false), .waitForNetwork)
        XCTAssertEqual(p.handedOver(), .waitForNetwork)
        clock.nowMs += 2 * SyncPolicy.periodicIdleMs
        XCTAssertEqual(p.due(), .waitForNetwork)
        XCTAssertEqual(p.userAsked(), .waitForNetwork)
        XCTAssertEqual(p.connectivityChanged(online: true), .runNow(expedited: true))
        XCTAssertEqual(p.connectivityChanged(online: true), .running)
        XCTAssertEqual(p.finished(.synced(pendingWork: 0)), .idle(periodicMs: SyncPolicy.periodicIdleMs))
        XCTAssertEqual(p.connectivityChanged(online: false), .waitForNetwork)
        XCTAssertEqual(p.connectivityChanged(online: true), .idle(periodicMs: SyncPolicy.periodicIdleMs))
        XCTAssertEqual(p.handedOver(), .runNow(expedited: true))
        XCTAssertEqual(p.connectivityChanged(online: false), .waitForNetwork)
        XCTAssertEqual(p.finished(.retry(code: "offline")), .waitForNetwork)
        XCTAssertEqual(p.connectivityChanged(online: true), .runNow(expedited: true))
        XCTAssertEqual(p.finished(.synced(pendingWork: 0)), .idle(periodicMs: SyncPolicy.periodicIdleMs))
        XCTAssertEqual(p.connectivityChanged(online: false), .waitForNetwork)
        XCTAssertEqual(p.workQueued(photos: true), .idle(periodicMs: SyncPolicy.periodicPendingMs))
        XCTAssertEqual(p.connectivityChanged(online: true), .runNow(expedited: false))
    }

    func testTheRetryWaitDoublesToItsCapAndResetsAfterASuccess() {
        let clock = TestClock()
        let draws = AlternatingDraws()
        let p = policy(clock, random: { draws.next() })
        let ceilings: [Int64] = [30, 60, 120, 240, 480, 960, 1800, 1800, 1800].map { $0 * 1000 }
        XCTAssertEqual((1...ceilings.count).map { p.backoff.ceilingMs(attempt: $0) }, ceilings)
        XCTAssertEqual(p.backoff.ceilingMs(attempt: 1_000), 1_800_000)
        _ = p.started(pendingWork: 1, online: true)
        for (i, ceiling) in ceilings.enumerated() {
            let failedAt = clock.nowMs
            guard case let .retryAt(atMs, attempt) = p.finished(.retry(code: "offline")) else { return XCTFail("a retry") }
            XCTAssertEqual(attempt, i + 1)
            let wait = atMs - failedAt
            XCTAssertTrue((ceiling / 2...ceiling).contains(wait), "retry \(attempt) after \(wait) ms")
            clock.nowMs = atMs - 1
            XCTAssertEqual(p.due(), .retryAt(atMs: atMs, attempt: attempt))
            clock.nowMs = atMs
            XCTAssertEqual(p.due(), .runNow(expedited: false))
        }
        XCTAssertEqual(p.finished(.synced(pendingWork: 0)), .idle(periodicMs: SyncPolicy.periodicIdleMs))
        XCTAssertEqual(p.consecutiveFailures, 0)
        XCTAssertEqual(p.due(), .runNow(expedited: false))
        XCTAssertEqual(p.finished(.failed(code: "hq_refused")), .idle(periodicMs: SyncPolicy.periodicIdleMs))
    }

    func testEachTypedErrorIsARetryALaterTryOrAStop() {
        func hq(_ status: UInt16) -> OnsiteError { .Hq(code: "hq_refused", msg: "HQ refused", status: status, detail: "") }
        let cases: [(OnsiteError, SyncOutcome)] = [
            (.Offline(code: "offline", msg: "HQ cannot be reached", detail: "refused"), .retry(code: "offline")),
            (hq(503), .retry(code: "hq_refused")),
            (hq(429), .retry(code: "hq_refused")),
            (hq(401), .stopped(.signedOut)),
            (hq(403), .stopped(.signedOut)),
            (hq(409), .failed(code: "hq_refused")),
            (.Wiped(code: "wiped", msg: "wiped"), .stopped(.wiped)),
            (.Cancelled(code: "cancelled", msg: "cancelled"), .cancelled),
            (.Storage(code: "storage", msg: "storage failed", detail: "disk I/O error"), .failed(code: "storage")),
        ]
        for (error, expected) in cases {
            XCTAssertEqual(SyncOutcome.of(error), expected, "\(error)")
        }
        let p = policy(TestClock())
        _ = p.started(pendingWork: 1, online: true)
        XCTAssertEqual(p.finished(.stopped(.signedOut)), .stop(.signedOut))
        XCTAssertEqual(p.handedOver(), .stop(.signedOut))
        XCTAssertEqual(p.connectivityChanged(online: true), .stop(.signedOut))
        XCTAssertEqual(p.due(), .stop(.signedOut))
    }
}
