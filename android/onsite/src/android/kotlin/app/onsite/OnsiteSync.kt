package app.onsite

import android.app.Notification
import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.ForegroundInfo
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.OutOfQuotaPolicy
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import androidx.work.workDataOf
import java.util.concurrent.TimeUnit
import kotlin.coroutines.cancellation.CancellationException

/**
 * Sync when it makes sense, with WorkManager: the Android glue of [SyncPolicy].
 * Every decision is the policy's; this only turns its [SyncPlan]s into work
 * requests (all with the network-connected constraint and exponential backoff)
 * and the OS's events into the policy's. Android only (not in the JVM suite).
 *
 * From `Application.onCreate` (so a worker that wakes the process finds the store),
 * once the technician is signed in:
 * ```
 * appScope.launch {
 *     OnsiteSync.install(this@App, tech, notification = { syncNotification(it) }) { reason ->
 *         // SIGNED_OUT: enroll again; WIPED: onWiped already deleted the key
 *         signOut(reason)
 *     }
 * }
 * // after tech.handOver(jobId):        OnsiteSync.handedOver(this)
 * // after a photo or any other step:   OnsiteSync.workQueued(this, photos = true)
 * // pull to refresh:                   OnsiteSync.userAsked(this)
 * // signing out:                       OnsiteSync.uninstall(this)
 * ```
 */
object OnsiteSync {
    internal const val TAG = "onsite-sync"
    private const val NOW = "onsite-sync-now"
    private const val LATER = "onsite-sync-later"
    private const val PERIODIC = "onsite-sync-periodic"
    internal const val KIND = "kind"
    internal const val KIND_RUN = "run"
    internal const val KIND_DUE = "due"
    internal const val KIND_NETWORK = "network"
    internal const val NOTIFICATION_ID = 0x0517e

    /** The one policy of this process (a new process starts its backoff afresh). */
    val policy = SyncPolicy()

    @Volatile internal var tech: Onsite? = null
    @Volatile private var onStopped: ((StopReason) -> Unit)? = null
    @Volatile internal var notification: ((Context) -> Notification)? = null
    @Volatile private var callback: ConnectivityManager.NetworkCallback? = null

    /**
     * Starts syncing for [tech]: the periodic sync, a sync now if work waits,
     * and the network callback. [notification] is shown while an expedited sync
     * runs as a foreground service (Android 11 and older); [onStopped] is called
     * once when syncing stops for good.
     */
    suspend fun install(
        context: Context,
        tech: Onsite,
        notification: (Context) -> Notification,
        onStopped: (StopReason) -> Unit,
    ) {
        val app = context.applicationContext
        if (this.tech !== tech) policy.reset()
        this.tech = tech
        this.notification = notification
        this.onStopped = onStopped
        val cm = app.getSystemService(ConnectivityManager::class.java)
        val online = cm.getNetworkCapabilities(cm.activeNetwork)?.let(::usable) ?: false
        carryOut(app, policy.started(tech.pendingWork(), online))
        if (callback == null) {
            val cb = object : ConnectivityManager.NetworkCallback() {
                override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
                    carryOut(app, policy.connectivityChanged(usable(caps)))
                }

                override fun onLost(network: Network) {
                    carryOut(app, policy.connectivityChanged(false))
                }
            }
            cm.registerDefaultNetworkCallback(cb)
            callback = cb
        }
    }

    /** Signing out: no more syncs, no callback. */
    fun uninstall(context: Context) {
        val app = context.applicationContext
        callback?.let { runCatching { app.getSystemService(ConnectivityManager::class.java).unregisterNetworkCallback(it) } }
        callback = null
        tech = null
        WorkManager.getInstance(app).cancelAllWorkByTag(TAG)
    }

    fun handedOver(context: Context) = carryOut(context.applicationContext, policy.handedOver())

    fun workQueued(context: Context, photos: Boolean = false) =
        carryOut(context.applicationContext, policy.workQueued(photos))

    fun userAsked(context: Context) = carryOut(context.applicationContext, policy.userAsked())

    private fun usable(caps: NetworkCapabilities) =
        caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) &&
            caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED)

    /** The plan, as WorkManager requests. */
    internal fun carryOut(app: Context, plan: SyncPlan) {
        val wm = WorkManager.getInstance(app)
        val connected = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()
        // WorkManager's backoff applies when the OS stops a sync midway; its floor is 10 s.
        val backoffMs = policy.backoff.baseMs.coerceAtLeast(10_000)
        when (plan) {
            is SyncPlan.RunNow -> {
                wm.cancelUniqueWork(LATER)
                val request = OneTimeWorkRequestBuilder<OnsiteSyncWorker>()
                    .setConstraints(connected)
                    .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, backoffMs, TimeUnit.MILLISECONDS)
                    .setInputData(workDataOf(KIND to KIND_RUN))
                    .addTag(TAG)
                if (plan.expedited) request.setExpedited(OutOfQuotaPolicy.RUN_AS_NON_EXPEDITED_WORK_REQUEST)
                // KEEP: a sync already queued or running is never cancelled by another.
                wm.enqueueUniqueWork(NOW, ExistingWorkPolicy.KEEP, request.build())
            }
            is SyncPlan.RetryAt -> {
                val delay = (plan.atMs - System.currentTimeMillis()).coerceAtLeast(0)
                val request = OneTimeWorkRequestBuilder<OnsiteSyncWorker>()
                    .setConstraints(connected)
                    .setInitialDelay(delay, TimeUnit.MILLISECONDS)
                    .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, backoffMs, TimeUnit.MILLISECONDS)
                    .setInputData(workDataOf(KIND to KIND_DUE))
                    .addTag(TAG)
                    .build()
                wm.enqueueUniqueWork(LATER, ExistingWorkPolicy.REPLACE, request)
            }
            SyncPlan.WaitForNetwork -> {
                // Runs when the network returns even if this process is gone by then.
                val request = OneTimeWorkRequestBuilder<OnsiteSyncWorker>()
                    .setConstraints(connected)
                    .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, backoffMs, TimeUnit.MILLISECONDS)
                    .setInputData(workDataOf(KIND to KIND_NETWORK))
                    .addTag(TAG)
                    .build()
                wm.enqueueUniqueWork(LATER, ExistingWorkPolicy.REPLACE, request)
            }
            is SyncPlan.Idle -> {
                val request = PeriodicWorkRequestBuilder<OnsiteSyncWorker>(plan.periodicMs, TimeUnit.MILLISECONDS)
                    .setConstraints(connected)
                    .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, backoffMs, TimeUnit.MILLISECONDS)
                    .setInputData(workDataOf(KIND to KIND_DUE))
                    .addTag(TAG)
                    .build()
                // UPDATE keeps the schedule and takes the new interval.
                wm.enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.UPDATE, request)
            }
            is SyncPlan.Stop -> {
                uninstall(app)
                onStopped?.invoke(plan.reason)
                onStopped = null
            }
            SyncPlan.Running -> Unit
        }
    }
}

/**
 * One sync, as WorkManager runs it: asks the policy whether to sync (a
 * [OnsiteSync.KIND_RUN] request already has its yes), runs the core's sync,
 * hands the outcome to the policy and enqueues what it says next.
 */
class OnsiteSyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        // The process was started for this work before the app installed the
        // store: WorkManager's backoff brings it back.
        val tech = OnsiteSync.tech ?: return Result.retry()
        val policy = OnsiteSync.policy
        val plan = when (inputData.getString(OnsiteSync.KIND)) {
            OnsiteSync.KIND_RUN -> SyncPlan.RunNow(expedited = false)
            OnsiteSync.KIND_NETWORK -> policy.connectivityChanged(true)
            else -> policy.due()
        }
        if (plan !is SyncPlan.RunNow) {
            OnsiteSync.carryOut(applicationContext, plan)
            return Result.success()
        }
        val next = try {
            policy.sync(tech)
        } catch (e: CancellationException) {
            // The OS stopped the work (constraint lost, quota): stop the core's
            // sync too; WorkManager reschedules stopped work itself.
            tech.cancelSync()
            throw e
        }
        OnsiteSync.carryOut(applicationContext, next)
        return Result.success()
    }

    /** Android 11 and older run expedited work as a foreground service, with the app's notification. */
    override suspend fun getForegroundInfo(): ForegroundInfo {
        val make = OnsiteSync.notification ?: error("OnsiteSync.install was not called")
        return ForegroundInfo(OnsiteSync.NOTIFICATION_ID, make(applicationContext))
    }
}
