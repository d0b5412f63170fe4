package app.onsite

import app.onsite.ffi.JobStatus
import app.onsite.ffi.OnsiteException
import java.io.InputStream
import java.io.OutputStream
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.util.concurrent.ConcurrentHashMap
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/*
 * Issue 15: the shells sync when it makes sense. These stories drive the
 * plain-Kotlin SyncPolicy (the decisions WorkManager's and BGTaskScheduler's
 * glue only carry out) with a clock the test moves by hand, and the last two
 * run real syncs against the suite's HQ through the policy's decisions.
 */

/** The policy's clock, moved by the test; no sleeping. */
class TestClock(var nowMs: Long = 1_000_000) {
    fun advanceTo(ms: Long) {
        check(ms >= nowMs) { "time goes forward" }
        nowMs = ms
    }
}

private fun policy(clock: TestClock, random: () -> Double = { 0.0 }) =
    SyncPolicy(SyncBackoff(baseMs = 30_000, capMs = 30 * 60_000, jitter = 0.5), { clock.nowMs }, random)

suspend fun handoverSyncsAtOnce(@Suppress("UNUSED_PARAMETER") hq: Hq) {
    val clock = TestClock()
    val p = policy(clock)
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.started(pendingWork = 0, online = true), "nothing to send: the hourly pull")
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_PENDING_MS), p.workQueued(), "an answer waits for the next (sooner) periodic sync")
    assertEquals(SyncPlan.RunNow(expedited = true), p.handedOver(), "a handed-over visit goes at once, expedited")
    // A second visit is handed over while that sync runs: one more sync right after, not two at once.
    assertEquals(SyncPlan.Running, p.handedOver())
    assertEquals(SyncPlan.Running, p.due(), "the periodic sync does not start a second one")
    assertEquals(SyncPlan.Running, p.started(pendingWork = 2, online = true), "nor the app coming back to the foreground")
    assertEquals(SyncPlan.RunNow(expedited = true), p.finished(SyncOutcome.Synced(pendingWork = 5)))
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.finished(SyncOutcome.Synced(pendingWork = 0)))
    // A handover is synced at once even during a backoff.
    assertEquals(SyncPlan.RunNow(expedited = false), p.due())
    val retry = assertIs<SyncPlan.RetryAt>(p.finished(SyncOutcome.Retry("offline")))
    assertTrue(retry.atMs > clock.nowMs)
    assertEquals(SyncPlan.RunNow(expedited = true), p.handedOver(), "the technician does not wait out the backoff")
}

suspend fun offlineWaitsForTheNetwork(@Suppress("UNUSED_PARAMETER") hq: Hq) {
    val clock = TestClock()
    val p = policy(clock)
    assertEquals(SyncPlan.WaitForNetwork, p.started(pendingWork = 3, online = false), "a basement: work waits, nothing runs")
    assertEquals(SyncPlan.WaitForNetwork, p.handedOver(), "not even after a handover")
    clock.advanceTo(clock.nowMs + 2 * SyncPolicy.PERIODIC_IDLE_MS)
    assertEquals(SyncPlan.WaitForNetwork, p.due(), "nor when the periodic timer fires")
    assertEquals(SyncPlan.WaitForNetwork, p.userAsked(), "nor on pull to refresh")
    assertEquals(SyncPlan.RunNow(expedited = true), p.connectivityChanged(true), "the network returns: the handed-over visit goes, expedited")
    assertEquals(SyncPlan.Running, p.connectivityChanged(true), "a second report of the same network starts nothing")
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.finished(SyncOutcome.Synced(pendingWork = 0)))
    // Flapping with nothing to send starts no sync.
    assertEquals(SyncPlan.WaitForNetwork, p.connectivityChanged(false))
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.connectivityChanged(true))
    // The network drops while a sync is failing: the retry waits for the network, not the clock.
    assertEquals(SyncPlan.RunNow(expedited = true), p.handedOver())
    assertEquals(SyncPlan.WaitForNetwork, p.connectivityChanged(false))
    assertEquals(SyncPlan.WaitForNetwork, p.finished(SyncOutcome.Retry("offline")))
    assertEquals(SyncPlan.RunNow(expedited = true), p.connectivityChanged(true), "back: the retry runs now")
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.finished(SyncOutcome.Synced(pendingWork = 0)))
    // Work that is not a handover waits offline too, and goes when the network returns, not expedited.
    assertEquals(SyncPlan.WaitForNetwork, p.connectivityChanged(false))
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_PENDING_MS), p.workQueued(photos = true))
    assertEquals(SyncPlan.RunNow(expedited = false), p.connectivityChanged(true))
}

suspend fun backoffDoublesToTheCapAndResets(@Suppress("UNUSED_PARAMETER") hq: Hq) {
    val clock = TestClock()
    // Jitter draws alternate between the lowest and the highest value.
    var draw = 0
    val p = policy(clock) { if (draw++ % 2 == 0) 0.0 else 0.999_999 }
    val b = p.backoff
    val ceilings = listOf(30, 60, 120, 240, 480, 960, 1800, 1800, 1800).map { it * 1000L }
    assertEquals(ceilings, (1..ceilings.size).map { b.ceilingMs(it) }, "doubles from 30 s to the 30 min cap")
    assertEquals(1_800_000L, b.ceilingMs(1_000), "no overflow after many failures")
    p.started(pendingWork = 1, online = true)
    ceilings.forEachIndexed { i, ceiling ->
        val attempt = i + 1
        val failedAt = clock.nowMs
        val retry = assertIs<SyncPlan.RetryAt>(p.finished(SyncOutcome.Retry("offline")))
        assertEquals(attempt, retry.attempt)
        val wait = retry.atMs - failedAt
        assertTrue(wait in ceiling / 2..ceiling, "retry $attempt after $wait ms, outside [${ceiling / 2}, $ceiling]")
        if (attempt % 2 == 1) assertEquals(ceiling / 2, wait, "the lowest draw waits half") else assertTrue(wait > ceiling - 10)
        clock.advanceTo(retry.atMs - 1)
        assertEquals(retry, p.due(), "nothing runs before the retry's time")
        clock.advanceTo(retry.atMs)
        assertEquals(SyncPlan.RunNow(expedited = false), p.due(), "the retry runs at its time")
    }
    assertEquals(ceilings.size, p.consecutiveFailures)
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.finished(SyncOutcome.Synced(pendingWork = 0)))
    assertEquals(0, p.consecutiveFailures, "a success resets the backoff")
    assertEquals(SyncPlan.RunNow(expedited = false), p.due())
    val failedAt = clock.nowMs
    val again = assertIs<SyncPlan.RetryAt>(p.finished(SyncOutcome.Retry("offline")))
    assertEquals(1, again.attempt)
    assertTrue(again.atMs - failedAt in 15_000L..30_000L, "back to the base wait: ${again.atMs - failedAt} ms")
    // A refusal a retry cannot fix: no fast retry, the periodic sync tries later.
    clock.advanceTo(again.atMs)
    assertEquals(SyncPlan.RunNow(expedited = false), p.due())
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.finished(SyncOutcome.Failed("hq_refused")))
}

suspend fun typedErrorsMapToDecisions(@Suppress("UNUSED_PARAMETER") hq: Hq) {
    fun hq(status: Int) = OnsiteException.Hq("hq_refused", "HQ refused", status.toUShort(), "")
    val cases = listOf(
        OnsiteException.Offline("offline", "HQ cannot be reached", "connection refused") to SyncOutcome.Retry("offline"),
        hq(503) to SyncOutcome.Retry("hq_refused"),
        hq(429) to SyncOutcome.Retry("hq_refused"),
        hq(408) to SyncOutcome.Retry("hq_refused"),
        hq(401) to SyncOutcome.Stopped(StopReason.SIGNED_OUT),
        hq(403) to SyncOutcome.Stopped(StopReason.SIGNED_OUT),
        hq(400) to SyncOutcome.Failed("hq_refused"),
        hq(409) to SyncOutcome.Failed("hq_refused"),
        hq(413) to SyncOutcome.Failed("hq_refused"),
        OnsiteException.Wiped("wiped", "wiped") to SyncOutcome.Stopped(StopReason.WIPED),
        OnsiteException.Cancelled("cancelled", "cancelled") to SyncOutcome.Cancelled,
        OnsiteException.Storage("storage", "storage failed", "disk I/O error") to SyncOutcome.Failed("storage"),
        OnsiteException.Internal("internal", "bug", "panic") to SyncOutcome.Failed("internal"),
    )
    for ((e, expected) in cases) assertEquals(expected, SyncOutcome.of(e), e.message)
}

/** A real HQ refuses the device: the schedule stops for good and the app is told. */
suspend fun revokedAndWipedStopTheSchedule(hq: Hq) {
    val clock = TestClock()
    val revoked = hq.newTechnician("kt-sched-revoked")
    val job = hq.dispatch("kt-sched-revoked", "KT-SCHED-REVOKED-1")
    val p = policy(clock)
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.started(pendingWork = 0, online = true))
    assertEquals(SyncPlan.RunNow(expedited = true), p.userAsked())
    assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.sync(revoked.tech))
    revoked.tech.accept(job)
    hq.cli("revoke", revoked.deviceId)
    assertEquals(SyncPlan.RunNow(expedited = true), p.handedOver())
    assertEquals(SyncPlan.Stop(StopReason.SIGNED_OUT), p.sync(revoked.tech), "a revoked token stops syncing")
    assertEquals(StopReason.SIGNED_OUT, p.stopReason)
    for (plan in listOf(p.handedOver(), p.due(), p.connectivityChanged(false), p.connectivityChanged(true), p.userAsked(), p.workQueued())) {
        assertEquals(SyncPlan.Stop(StopReason.SIGNED_OUT), plan, "nothing restarts the schedule")
    }
    assertTrue(revoked.tech.pendingChanges() > 0, "the unsent change is kept for the next sign-in")
    p.reset()
    assertEquals(SyncPlan.RunNow(expedited = false), p.started(revoked.tech.pendingChanges(), online = true), "signed in again: the kept change goes")
    revoked.tech.close()

    val wiped = hq.newTechnician("kt-sched-wipe")
    val job2 = hq.dispatch("kt-sched-wipe", "KT-SCHED-WIPE-1")
    val q = policy(clock)
    q.started(pendingWork = 0, online = true)
    assertEquals(SyncPlan.RunNow(expedited = true), q.userAsked())
    q.sync(wiped.tech)
    wiped.tech.accept(job2)
    var hooked = 0
    wiped.tech.onWiped = { hooked++ }
    hq.cli("wipe", wiped.deviceId)
    assertEquals(SyncPlan.RunNow(expedited = true), q.handedOver())
    assertEquals(SyncPlan.Stop(StopReason.WIPED), q.sync(wiped.tech), "a remote wipe stops syncing")
    assertEquals(1, hooked, "onWiped ran once")
    assertEquals(SyncPlan.Stop(StopReason.WIPED), q.connectivityChanged(true))
    assertContains(hq.orders("kt-sched-wipe"), Regex("\"job_id\": \"$job2\"[^}]*\"status\": \"accepted\""), message = "the unsent step was handed in first")
    wiped.tech.close()
}

/**
 * A real sync through the policy over a link that drops: HQ unreachable ->
 * a retry is scheduled (nothing lost, nothing early); the network is lost and
 * comes back -> a sync runs at once and the step reaches HQ.
 */
suspend fun hqUnreachableThenBack(hq: Hq) {
    Link(URI(hq.url).port).use { link ->
        val clock = TestClock()
        val phone = hq.newTechnician("kt-sched-link", hqUrl = link.url)
        val tech = phone.tech
        val job = hq.dispatch("kt-sched-link", "KT-SCHED-LINK-1")
        val p = policy(clock) { 0.0 }
        assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.started(tech.pendingChanges(), online = true))
        assertEquals(SyncPlan.RunNow(expedited = false), p.due(), "the periodic sync")
        assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.sync(tech))
        assertEquals(listOf(job), tech.jobs().map { it.jobId }, "the job came down")

        tech.accept(job)
        val queued = tech.pendingChanges()
        assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_PENDING_MS), p.workQueued(), "pending work: the sooner periodic sync")
        link.down()
        assertEquals(SyncPlan.RunNow(expedited = true), p.handedOver())
        val first = assertIs<SyncPlan.RetryAt>(p.sync(tech), "HQ unreachable: a retry is scheduled")
        assertEquals(1 to clock.nowMs + 15_000, first.attempt to first.atMs)
        assertEquals(queued, tech.pendingChanges(), "nothing was dropped")
        assertEquals(first, p.due(), "nothing runs before the retry's time")
        clock.advanceTo(first.atMs)
        assertEquals(SyncPlan.RunNow(expedited = false), p.due())
        val second = assertIs<SyncPlan.RetryAt>(p.sync(tech))
        assertEquals(2 to clock.nowMs + 30_000, second.attempt to second.atMs, "the wait doubled")

        // The phone loses the network, then finds it again before the retry's time.
        assertEquals(SyncPlan.WaitForNetwork, p.connectivityChanged(false))
        link.up()
        assertEquals(SyncPlan.RunNow(expedited = true), p.connectivityChanged(true), "the network is back: sync now")
        assertEquals(SyncPlan.Idle(SyncPolicy.PERIODIC_IDLE_MS), p.sync(tech), "synced; the backoff is over")
        assertEquals(0, p.consecutiveFailures)
        assertEquals(0L, tech.pendingChanges(), "the outbox drained")
        assertEquals(JobStatus.ACCEPTED, tech.job(job).status)
        assertContains(hq.orders("kt-sched-link"), Regex("\"job_id\": \"$job\"[^}]*\"status\": \"accepted\""), message = "HQ has the step")
        tech.close()
    }
}

/**
 * A loopback link to HQ that can be cut: while down it resets every
 * connection (new and pooled), as a phone sees a dead network.
 */
class Link(private val targetPort: Int) : AutoCloseable {
    private val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    val url = "http://127.0.0.1:${server.localPort}"
    @Volatile private var up = true
    private val open: MutableSet<Socket> = ConcurrentHashMap.newKeySet()

    init {
        Thread {
            while (!server.isClosed) {
                val client = runCatching { server.accept() }.getOrNull() ?: break
                if (!up) {
                    reset(client)
                    continue
                }
                val upstream = runCatching { Socket(InetAddress.getLoopbackAddress(), targetPort) }.getOrNull()
                if (upstream == null) {
                    reset(client)
                    continue
                }
                open += client
                open += upstream
                pump(client.getInputStream(), upstream.getOutputStream(), client, upstream)
                pump(upstream.getInputStream(), client.getOutputStream(), client, upstream)
            }
        }.apply { isDaemon = true }.start()
    }

    private fun pump(from: InputStream, to: OutputStream, a: Socket, b: Socket) {
        Thread {
            runCatching { from.copyTo(to) }
            a.close()
            b.close()
            open -= a
            open -= b
        }.apply { isDaemon = true }.start()
    }

    private fun reset(s: Socket) {
        runCatching { s.setSoLinger(true, 0) }
        runCatching { s.close() }
    }

    fun down() {
        up = false
        open.toList().forEach(::reset)
        open.clear()
    }

    fun up() {
        up = true
    }

    override fun close() {
        down()
        server.close()
    }
}
