package app.onsite

import app.onsite.ffi.AcceptanceInput
import app.onsite.ffi.Assessment
import app.onsite.ffi.ChargeDisputeInput
import app.onsite.ffi.ChargeInstructionInput
import app.onsite.ffi.ChecklistPhase
import app.onsite.ffi.ConcessionInput
import app.onsite.ffi.DamageInput
import app.onsite.ffi.ConsentChannel
import app.onsite.ffi.ContactKind
import app.onsite.ffi.Enrollment
import app.onsite.ffi.HttpBackend
import app.onsite.ffi.IdentityCheckInput
import app.onsite.ffi.InspectionVerdict
import app.onsite.ffi.InvoiceInput
import app.onsite.ffi.JobDetail
import app.onsite.ffi.JobSummary
import app.onsite.ffi.JobsObserver
import app.onsite.ffi.Language
import app.onsite.ffi.MaterialInput
import app.onsite.ffi.Paper
import app.onsite.ffi.PartReplacementInput
import app.onsite.ffi.PartsShortInput
import app.onsite.ffi.PaymentMethod
import app.onsite.ffi.QuoteItem
import app.onsite.ffi.SignedInTechnician
import app.onsite.ffi.SyncObserver
import app.onsite.ffi.SyncProgress
import app.onsite.ffi.SyncReport
import app.onsite.ffi.TechnicianProfile
import app.onsite.ffi.VehicleInfo
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.distinctUntilChanged
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.withContext

/**
 * The signed-in technician, as a Kotlin app holds it.
 *
 * A thin layer over the generated [SignedInTechnician]: every store call is a
 * `suspend` function that runs on [io] (the store does disk I/O and must stay
 * off the main thread), sync state is a [StateFlow] a screen can collect, and
 * the job list and each job are [Flow]s that follow local steps and syncs.
 * No rule of the visit lives here.
 *
 * Every failure is an [app.onsite.ffi.OnsiteException] subclass named after the
 * rule (`ChecklistIncomplete`, `IllegalTransition`, `MaterialRule`...), carrying
 * - `code`: a stable snake_case code (`checklist_incomplete`...) to branch on and log;
 * - `msg`: the sentence to show the technician, in the language of [setLanguage]
 *   (zh-CN until then);
 * - the rule's facts as typed fields: `status`, `action`, `rule`, `allowed`; the
 *   `phase` and unanswered `items` (id and title); `lineNo`, `materialId`, `dueFen`...
 *
 * Any case gives `errorCode()` and `errorMessage()` without a `when`:
 * ```
 * try { tech.depart(jobId) } catch (e: OnsiteException) {
 *     if (e is OnsiteException.ChecklistIncomplete) highlight(e.items.map { it.itemId })
 *     snackbar(e.errorMessage())
 * }
 * ```
 * The exception's own `message` lists every field, for logs, not for the screen.
 */
class Onsite private constructor(
    /** The generated object, for anything this layer does not wrap. */
    val ffi: SignedInTechnician,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /**
         * Exchanges a one-time enrollment code from HQ for this device's profile and token.
         * Its errors are in zh-CN: there is no technician, hence no language, yet.
         */
        suspend fun enroll(
            hqUrl: String,
            code: String,
            deviceId: String,
            http: HttpBackend = UrlConnectionHttp(),
        ): Enrollment = app.onsite.ffi.enroll(hqUrl, code, deviceId, http)

        /**
         * Opens (or creates) the technician's store file, e.g. under `context.filesDir`,
         * encrypted with [storeKey] (32 bytes from [StoreKeys.getOrCreate]). A store of an
         * earlier version is encrypted on this first open; another key throws
         * `OnsiteException.WrongStoreKey` and leaves the file untouched.
         */
        suspend fun open(
            storePath: String,
            storeKey: ByteArray,
            profile: TechnicianProfile,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): Onsite = withContext(io) { Onsite(SignedInTechnician.open(storePath, storeKey, profile), io) }
    }

    private val sync = MutableStateFlow<SyncProgress>(SyncProgress.Idle)

    /** Idle, uploading photos, pushing n/m, pulling, offline (with retry delay) or failed. */
    val syncState: StateFlow<SyncProgress> = sync.asStateFlow()

    private val observer = object : SyncObserver {
        override fun onProgress(progress: SyncProgress) {
            sync.value = progress
        }
    }

    /** Runs any call of the generated API on the I/O dispatcher. */
    suspend fun <T> store(block: SignedInTechnician.() -> T): T = withContext(io) { ffi.block() }

    /** The language of labels, documents and error messages (zh-CN by default). */
    fun setLanguage(language: Language) = ffi.setLanguage(language)

    /**
     * Points sync at HQ with the token from enrollment. Requests go through [http]:
     * the platform's `HttpURLConnection` unless the app passes its own (e.g. OkHttp).
     */
    fun connect(hqUrl: String, token: String, http: HttpBackend = UrlConnectionHttp()) =
        ffi.connect(hqUrl, token, http)

    /**
     * Called once when HQ's remote wipe deleted this technician's store (the
     * sync first handed in everything unsynced): the app's hook to delete the
     * store's key from the Android Keystore and sign out. [syncNow] then
     * throws [app.onsite.ffi.OnsiteException.Wiped] as well.
     *
     * ```
     * tech.onWiped = { StoreKeys.delete(keyFile); AndroidKeystoreKey.delete(); signOut() }
     * ```
     */
    @Volatile
    var onWiped: (suspend () -> Unit)? = null

    /** Uploads photos, pushes the outbox and pulls HQ's changes; progress goes to [syncState]. */
    suspend fun syncNow(): SyncReport =
        try {
            ffi.syncNow(observer)
        } catch (e: app.onsite.ffi.OnsiteException.Wiped) {
            onWiped?.invoke()
            throw e
        }

    fun cancelSync() = ffi.cancelSync()

    suspend fun jobs() = store { jobs() }
    /** The job's screen: full phone and address on the appointment day, masked otherwise. */
    suspend fun job(jobId: String) = store { job(jobId) }

    /** The technician opens the customer's full phone and address; audited on the phone. */
    suspend fun revealJob(jobId: String) = store { revealJob(jobId) }

    /**
     * What a screen may offer on the job now: one [app.onsite.ffi.ActionOffer] per
     * button, in workflow order, with `blocked` (code and message in the
     * technician's language) when the procedure does not allow it yet. Screens
     * show these instead of deciding anything on the job's status.
     */
    suspend fun availableActions(jobId: String) = store { availableActions(jobId) }

    /**
     * The job list: the current one when collected, then a new one after every local step
     * and every sync that changes a job, so a screen never polls. Equal lists are not repeated.
     */
    fun watchJobs(): Flow<List<JobSummary>> =
        changes { true }.map { jobs() }.distinctUntilChanged()

    /** One job, as [watchJobs] for the list: now, then after each local step or sync that changes it. */
    fun watchJob(jobId: String): Flow<JobDetail> =
        changes { jobId in it }.map { job(jobId) }.distinctUntilChanged()

    /**
     * A signal when collected and after each change [wanted] accepts, until the collector
     * stops (then the core's observer is removed). Conflated: changes that land during a
     * read give one more read, which sees them all.
     */
    private fun changes(wanted: (List<String>) -> Boolean): Flow<Unit> = callbackFlow {
        val subscription = ffi.subscribeJobs(object : JobsObserver {
            override fun jobsChanged(jobIds: List<String>) {
                if (wanted(jobIds)) trySend(Unit)
            }
        })
        // Subscribed before the first read: no change can fall between the two.
        send(Unit)
        // After close() the object is gone and its observers with it.
        awaitClose { runCatching { ffi.unsubscribeJobs(subscription) } }
    }.conflate()
    /** Changes in the outbox, not yet at HQ. */
    suspend fun pendingChanges() = store { pendingOps() }

    /**
     * Changes and photos not yet at HQ: what keeps a sync scheduled. A photo
     * can wait after its visit's changes went (a link cut mid-upload).
     */
    suspend fun pendingWork(): Long = store { pendingWork() }.toLong()
    suspend fun checklist(jobId: String, phase: ChecklistPhase) = store { checklist(jobId, phase) }
    suspend fun answer(jobId: String, templateId: String, itemId: String, answer: app.onsite.ffi.AnswerValue) =
        store { answer(jobId, templateId, itemId, answer) }
    suspend fun addPhoto(jobId: String, jpegOrPng: ByteArray) = store { addPhoto(jobId, jpegOrPng) }

    suspend fun accept(jobId: String) = store { acceptJob(jobId) }
    suspend fun depart(jobId: String) = store { depart(jobId) }
    suspend fun arrive(jobId: String) = store { arrive(jobId) }
    /** Arrives late with the reason (the verdict is computed by the core; the visit goes on). */
    suspend fun arriveWithReason(jobId: String, lateReason: String) = store { arriveWithReason(jobId, lateReason) }
    /** The verdict an arrival now would get: ask for a reason when `late`. */
    suspend fun punctualityPreview(jobId: String) = store { punctualityPreview(jobId) }
    suspend fun noAccess(jobId: String, note: String, waitedMinutes: UInt, callsMade: UInt, askedNeighbours: Boolean = false) =
        store { recordNoAccess(jobId, note, waitedMinutes, callsMade, askedNeighbours) }
    suspend fun rescheduleWithCustomer(
        jobId: String, appointmentAtMs: Long, reason: String, agreedBy: String, agreedAtMs: Long, channel: ConsentChannel,
    ) = store { rescheduleWithCustomer(jobId, appointmentAtMs, reason, agreedBy, agreedAtMs, channel) }
    suspend fun recordContact(jobId: String, kind: ContactKind, note: String = "") = store { recordContact(jobId, kind, note) }
    suspend fun assess(jobId: String, assessment: Assessment) = store { assess(jobId, assessment) }

    suspend fun feeSchedule(jobId: String) = store { feeSchedule(job(jobId).category) }
    suspend fun addQuoteLine(jobId: String, item: QuoteItem, qty: UInt = 1u) = store { addQuoteLine(jobId, item, qty) }
    suspend fun approveQuoteLine(jobId: String, lineNo: UInt, supervisor: String, code: String) =
        store { approveQuoteLine(jobId, lineNo, supervisor, code) }
    suspend fun presentQuote(jobId: String) = store { presentQuote(jobId) }
    suspend fun customerConsents(jobId: String, customerName: String) = store { customerConsents(jobId, customerName) }
    suspend fun customerDeclines(jobId: String, reason: String) = store { customerDeclines(jobId, reason) }

    suspend fun addMaterial(jobId: String, material: MaterialInput) = store { addMaterial(jobId, material) }
    suspend fun inspectMaterial(
        jobId: String,
        materialId: String,
        verdict: InspectionVerdict,
        findings: String,
        photos: List<String> = emptyList(),
    ) = store { inspectMaterial(jobId, materialId, verdict, findings, photos) }
    suspend fun noteConcession(jobId: String, materialId: String, note: ConcessionInput) =
        store { noteConcession(jobId, materialId, note) }
    suspend fun useMaterial(jobId: String, materialId: String) = store { useMaterial(jobId, materialId) }
    suspend fun replacePart(jobId: String, part: PartReplacementInput) = store { replacePart(jobId, part) }
    suspend fun correctVehicle(jobId: String, vehicle: VehicleInfo) = store { correctVehicle(jobId, vehicle) }
    suspend fun recordPartsShort(jobId: String, input: PartsShortInput) = store { recordPartsShort(jobId, input) }
    suspend fun recordDamage(jobId: String, damage: DamageInput) = store { recordDamage(jobId, damage) }

    suspend fun startWork(jobId: String) = store { startWork(jobId) }
    suspend fun finishWork(jobId: String, labourMinutes: UInt, summary: String) =
        store { finishWork(jobId, labourMinutes, summary) }
    suspend fun recordAcceptance(jobId: String, input: AcceptanceInput) = store { recordAcceptance(jobId, input) }
    suspend fun verifySignature(jobId: String) = store { verifySignature(jobId) }
    suspend fun signaturePng(jobId: String, width: UInt, height: UInt) = store { signaturePng(jobId, width, height) }

    /** For cash, [cashChecked] confirms the notes were checked for counterfeits and counted in front of the customer. */
    suspend fun takePayment(
        jobId: String,
        method: PaymentMethod,
        receivedFen: Long,
        reference: String? = null,
        cashChecked: Boolean = false,
    ) = store { takePayment(jobId, method, receivedFen, reference, cashChecked) }
    suspend fun disputeCharge(jobId: String, dispute: ChargeDisputeInput) = store { disputeCharge(jobId, dispute) }
    suspend fun enterChargeInstruction(jobId: String, instruction: ChargeInstructionInput, supervisor: String, code: String) =
        store { enterChargeInstruction(jobId, instruction, supervisor, code) }
    suspend fun recordInvoice(jobId: String, invoice: InvoiceInput) = store { recordInvoice(jobId, invoice) }
    suspend fun issueReceipt(jobId: String, emergency: Boolean = false) = store { issueReceipt(jobId, emergency) }
    suspend fun receiptText(number: String) = store { receiptText(number) }
    suspend fun receiptHtml(number: String) = store { receiptHtml(number) }
    suspend fun receiptEscPos(number: String, paper: Paper) = store { receiptEscpos(number, paper) }
    suspend fun workOrderText(jobId: String) = store { workOrderText(jobId) }
    suspend fun workOrderHtml(jobId: String) = store { workOrderHtml(jobId) }
    suspend fun workOrderEscPos(jobId: String, paper: Paper) = store { workOrderEscpos(jobId, paper) }
    suspend fun messageNoteText(jobId: String) = store { messageNoteText(jobId) }
    suspend fun messageNoteEscPos(jobId: String, paper: Paper) = store { messageNoteEscpos(jobId, paper) }
    suspend fun handOver(jobId: String) = store { handOver(jobId) }
    suspend fun fillWithheld(jobId: String, findings: String, solution: String) =
        store { fillWithheld(jobId, findings, solution) }
    suspend fun checkIdentity(jobId: String, check: IdentityCheckInput) = store { checkIdentity(jobId, check) }
    suspend fun decideDeliveryItem(jobId: String, itemNo: UInt, accepted: Boolean, note: String = "") =
        store { decideDeliveryItem(jobId, itemNo, accepted, note) }
    suspend fun recordComplaint(jobId: String, hard: Boolean, words: String) =
        store { recordComplaint(jobId, hard, words) }

    override fun close() = ffi.close()
}
