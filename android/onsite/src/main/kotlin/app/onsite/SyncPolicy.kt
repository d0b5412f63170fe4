package app.onsite

import app.onsite.ffi.OnsiteException
import kotlin.random.Random

/**
 * When the shell syncs, as plain Kotlin: no Android type, so the JVM suite
 * tests every decision, and the WorkManager glue (`OnsiteSyncScheduler`,
 * `OnsiteSyncWorker`, Android only) only turns a [SyncPlan] into work requests.
 * The iOS shell has the same policy in Swift (`SyncPolicy.swift`).
 *
 * What the technician notices:
 * - a visit handed over is synced at once ([handedOver] -> an expedited [SyncPlan.RunNow]);
 * - offline, nothing runs ([SyncPlan.WaitForNetwork]); the moment the network
 *   returns with work pending, a sync runs ([connectivityChanged]);
 * - a failed sync is retried after a wait that doubles up to [SyncBackoff.capMs],
 *   jittered so a depot's phones do not all come back at the same second,
 *   and starts again from the base after a success;
 * - while signed in, a periodic sync pulls new jobs: every
 *   [PERIODIC_PENDING_MS] while work waits on the phone, every [PERIODIC_IDLE_MS] otherwise;
 * - a revoked device or a remote wipe stops everything ([SyncPlan.Stop]) and the
 *   app is told (sign out; after a wipe `Onsite.onWiped` has already run).
 *
 * Its calls are synchronized: the network callback, the workers and the
 * screens may call it from any thread. [clock] is milliseconds since any fixed origin; [random] gives the
 * jitter factor's randomness (tests pin both).
 */
class SyncPolicy(
    val backoff: SyncBackoff = SyncBackoff(),
    private val clock: () -> Long = System::currentTimeMillis,
    private val random: () -> Double = { Random.nextDouble() },
) {
    companion object {
        /** WorkManager's shortest periodic interval: while visits wait to be sent. */
        const val PERIODIC_PENDING_MS = 15 * 60_000L

        /** With nothing to send, a pull for new jobs every hour (HQ also phones the technician for urgent ones). */
        const val PERIODIC_IDLE_MS = 60 * 60_000L
    }

    private var online = true
    private var pending = false
    private var photosPending = false
    private var urgent = false
    private var running = false
    private var again = false
    private var againExpedited = false
    private var failures = 0
    private var retryAtMs: Long? = null
    private var stopped: StopReason? = null

    /** Consecutive failed syncs since the last success (0 after a success). */
    val consecutiveFailures: Int @Synchronized get() = failures

    /** Why syncing stopped for good, or null while it goes on. */
    val stopReason: StopReason? @Synchronized get() = stopped

    /** The periodic sync's interval now: shorter while work waits on the phone. */
    val periodicIntervalMs: Long @Synchronized get() = if (pending) PERIODIC_PENDING_MS else PERIODIC_IDLE_MS

    /** A new sign-in: forget the last one's failures and stop. */
    @Synchronized
    fun reset() {
        online = true
        pending = false
        photosPending = false
        urgent = false
        running = false
        again = false
        againExpedited = false
        failures = 0
        retryAtMs = null
        stopped = null
    }

    /**
     * The app started, or was brought back, with [pendingWork] changes and
     * photos not yet at HQ (`Onsite.pendingWork()`) and the network [online] or not.
     */
    @Synchronized
    fun started(pendingWork: Long, online: Boolean): SyncPlan {
        this.online = online
        pending = pendingWork > 0
        return stopped?.let { SyncPlan.Stop(it) } ?: when {
            running -> SyncPlan.Running
            !pending -> SyncPlan.Idle(periodicIntervalMs)
            !online -> SyncPlan.WaitForNetwork
            else -> run(expedited = false)
        }
    }

    /** A visit was handed over (or anything the customer waits on): sync now, expedited. */
    @Synchronized
    fun handedOver(): SyncPlan {
        pending = true
        urgent = true
        return wantNow(expedited = true)
    }

    /**
     * A local step queued work (an answer, a photo...). Not urgent: it goes
     * with the next sync; the periodic one comes sooner while work is pending.
     * Photos make the next background sync a long one (iOS: a processing task).
     */
    @Synchronized
    fun workQueued(photos: Boolean = false): SyncPlan {
        pending = true
        if (photos) photosPending = true
        return stopped?.let { SyncPlan.Stop(it) } ?: SyncPlan.Idle(periodicIntervalMs)
    }

    /** The technician pulled to refresh: sync now, whatever the backoff says. */
    @Synchronized
    fun userAsked(): SyncPlan = wantNow(expedited = true)

    /** The OS reported the network [online] (validated) or gone. */
    @Synchronized
    fun connectivityChanged(online: Boolean): SyncPlan {
        val returned = online && !this.online
        this.online = online
        stopped?.let { return SyncPlan.Stop(it) }
        if (!online) return SyncPlan.WaitForNetwork
        if (running) return SyncPlan.Running
        // Back online with work waiting (or a retry outstanding): go now, not at the end
        // of the backoff; expedited while a handed-over visit is still unsent.
        return if (returned && (pending || retryAtMs != null)) run(expedited = urgent) else idleOrRetry()
    }

    /**
     * A timer fired (the periodic work, the retry's delay, a BG task): what to
     * do now. A retry fires only once its time has come.
     */
    @Synchronized
    fun due(): SyncPlan {
        stopped?.let { return SyncPlan.Stop(it) }
        if (!online) return SyncPlan.WaitForNetwork
        if (running) return SyncPlan.Running
        val at = retryAtMs
        return if (at != null && clock() < at) SyncPlan.RetryAt(at, failures) else run(expedited = false)
    }

    /** The sync a [SyncPlan.RunNow] asked for ended with [outcome]; the next plan. */
    @Synchronized
    fun finished(outcome: SyncOutcome): SyncPlan {
        running = false
        when (outcome) {
            is SyncOutcome.Synced -> {
                failures = 0
                retryAtMs = null
                pending = outcome.pendingWork > 0
                photosPending = false
                urgent = false
            }
            is SyncOutcome.Retry -> {
                failures++
                retryAtMs = clock() + backoff.delayMs(failures, random())
            }
            is SyncOutcome.Failed -> {
                // A retry cannot fix it (an HQ refusal, a broken store): no fast
                // retry, the periodic sync tries again and the app shows the message.
                failures = 0
                retryAtMs = null
            }
            is SyncOutcome.Stopped -> stopped = outcome.reason
            SyncOutcome.Cancelled -> Unit
        }
        stopped?.let { return SyncPlan.Stop(it) }
        if (again && outcome !is SyncOutcome.Retry) {
            // Something urgent happened during the sync: one more, now.
            val expedited = againExpedited
            return if (online) run(expedited) else SyncPlan.WaitForNetwork
        }
        if (outcome is SyncOutcome.Retry && !online) return SyncPlan.WaitForNetwork
        return idleOrRetry()
    }

    /** Whether the next background sync will carry photos (iOS asks for a processing task then). */
    val photosWaiting: Boolean @Synchronized get() = photosPending

    private fun wantNow(expedited: Boolean): SyncPlan {
        stopped?.let { return SyncPlan.Stop(it) }
        if (running) {
            again = true
            againExpedited = againExpedited || expedited
            return SyncPlan.Running
        }
        return if (online) run(expedited) else SyncPlan.WaitForNetwork
    }

    private fun run(expedited: Boolean): SyncPlan {
        running = true
        again = false
        againExpedited = false
        return SyncPlan.RunNow(expedited)
    }

    private fun idleOrRetry(): SyncPlan =
        retryAtMs?.let { SyncPlan.RetryAt(it, failures) } ?: SyncPlan.Idle(periodicIntervalMs)
}

/** What the shell does next; the glue maps each to the OS's scheduler. */
sealed interface SyncPlan {
    /** Sync now ([expedited]: the technician or the customer waits on it), then report with [SyncPolicy.finished]. */
    data class RunNow(val expedited: Boolean) : SyncPlan

    /** A sync is running; what was asked is folded into one more right after it. */
    data object Running : SyncPlan

    /** Retry at [atMs] (the policy's clock); [attempt] failures so far. */
    data class RetryAt(val atMs: Long, val attempt: Int) : SyncPlan

    /** Nothing to do until the network returns. */
    data object WaitForNetwork : SyncPlan

    /** Nothing now; keep the periodic sync every [periodicMs]. */
    data class Idle(val periodicMs: Long) : SyncPlan

    /** Stop syncing and cancel every scheduled sync; tell the app [reason]. */
    data class Stop(val reason: StopReason) : SyncPlan
}

/** Why syncing stops for good, until the app signs in again. */
enum class StopReason {
    /** HQ revoked or no longer knows this device's token (401/403): enroll again. */
    SIGNED_OUT,

    /** HQ's remote wipe: the store is gone and `Onsite.onWiped` ran. */
    WIPED,
}

/** How a sync ended, as the scheduler sees it. */
sealed interface SyncOutcome {
    /** Done; [pendingWork] changes and photos still wait (made meanwhile, or cut off). */
    data class Synced(val pendingWork: Long) : SyncOutcome

    /** Worth retrying after a wait: HQ unreachable, or busy. */
    data class Retry(val code: String) : SyncOutcome

    /** A retry will not fix it; the periodic sync tries again later, the app shows [code]'s message. */
    data class Failed(val code: String) : SyncOutcome

    /** Never again with this sign-in. */
    data class Stopped(val reason: StopReason) : SyncOutcome

    /** `cancelSync()` (or the OS stopping the work): nothing to decide. */
    data object Cancelled : SyncOutcome

    companion object {
        /** The decision for each of the core's typed errors, on its type and HQ's status alone. */
        fun of(e: OnsiteException): SyncOutcome = when (e) {
            is OnsiteException.Offline -> Retry(e.code)
            is OnsiteException.Hq -> when (e.status.toInt()) {
                401, 403 -> Stopped(StopReason.SIGNED_OUT)
                408, 425, 429 -> Retry(e.code)
                in 500..599 -> Retry(e.code)
                else -> Failed(e.code)
            }
            is OnsiteException.Wiped -> Stopped(StopReason.WIPED)
            is OnsiteException.Cancelled -> Cancelled
            else -> Failed(e.errorCode())
        }
    }
}

/**
 * Exponential backoff: the wait before retry [attempt] (1 = after the first
 * failure) is `baseMs * 2^(attempt-1)`, at most [capMs], times a factor in
 * `[1 - jitter, 1]` drawn from `random` in `[0, 1)`.
 * WorkManager's own backoff (for work the OS stopped) starts at its 10 s minimum.
 */
data class SyncBackoff(
    val baseMs: Long = 30_000,
    val capMs: Long = 30 * 60_000,
    val jitter: Double = 0.5,
) {
    init {
        require(baseMs > 0 && capMs >= baseMs && jitter in 0.0..1.0) { "bad backoff $this" }
    }

    /** The wait before jitter. */
    fun ceilingMs(attempt: Int): Long {
        var d = baseMs
        repeat((attempt - 1).coerceAtLeast(0)) {
            if (d >= capMs) return capMs
            d *= 2
        }
        return d.coerceAtMost(capMs)
    }

    /** The shortest wait jitter can give. */
    fun floorMs(attempt: Int): Long = (ceilingMs(attempt) * (1.0 - jitter)).toLong()

    fun delayMs(attempt: Int, random: Double): Long {
        val ceiling = ceilingMs(attempt)
        return floorMs(attempt) + ((ceiling - floorMs(attempt)) * random.coerceIn(0.0, 1.0)).toLong()
    }
}

/**
 * Runs the sync a [SyncPlan.RunNow] asked for and hands its outcome to the
 * policy: the next plan. Only the core's typed errors are outcomes; anything
 * else (a bug in the app) propagates after the policy is told it was cancelled.
 */
suspend fun SyncPolicy.sync(tech: Onsite): SyncPlan {
    val outcome = try {
        tech.syncNow()
        SyncOutcome.Synced(tech.pendingWork())
    } catch (e: OnsiteException) {
        SyncOutcome.of(e)
    } catch (t: Throwable) {
        finished(SyncOutcome.Cancelled)
        throw t
    }
    return finished(outcome)
}
