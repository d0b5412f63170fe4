package app.onsite

import app.onsite.ffi.AcceptanceInput
import app.onsite.ffi.CustomerOpinion
import app.onsite.ffi.AnswerValue
import app.onsite.ffi.Assessment
import app.onsite.ffi.ChecklistPhase
import app.onsite.ffi.ConcessionInput
import app.onsite.ffi.CustomerRating
import app.onsite.ffi.DamageInput
import app.onsite.ffi.InspectionVerdict
import app.onsite.ffi.ItemInput
import app.onsite.ffi.JobAction
import app.onsite.ffi.JobDetail
import app.onsite.ffi.JobStatus
import app.onsite.ffi.Language
import app.onsite.ffi.MaterialInput
import app.onsite.ffi.MaterialSource
import app.onsite.ffi.OnsiteException
import app.onsite.ffi.Paper
import app.onsite.ffi.PartReplacementInput
import app.onsite.ffi.PartsShortInput
import app.onsite.ffi.PaymentMethod
import app.onsite.ffi.QuoteItem
import app.onsite.ffi.QuoteLineKind
import app.onsite.ffi.ReceiptChain
import app.onsite.ffi.SignOff
import app.onsite.ffi.SignaturePad
import app.onsite.ffi.SyncProgress
import app.onsite.ffi.VehicleInfo
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.ReceiveChannel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import javax.imageio.ImageIO
import kotlin.math.PI
import kotlin.math.sin
import kotlin.system.exitProcess
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlin.test.fail

/**
 * The Kotlin suite, run on the JVM against the host build of libonsite_ffi
 * (see scripts/kotlin-test.sh). A real `onsite hq serve` is started on
 * 127.0.0.1 for the whole run; each test enrolls its own technician so the
 * tests share nothing but the server.
 *
 * There is no JUnit on this machine, so the suite is a `main` with a tiny
 * runner: every test runs, failures are printed with their stack trace, and
 * the exit code is the number of failures.
 */
fun main() {
    val onsite = System.getProperty("onsite.bin") ?: error("-Donsite.bin=path/to/onsite is required")
    // HQ is stopped by `use` before the JVM exits with the number of failures.
    val failed = Hq(File(onsite)).use { hq ->
        val tests = listOf<Pair<String, suspend (Hq) -> Unit>>(
            "complete visit from Kotlin, synced to HQ" to ::completeVisit,
            "rule violations are typed Kotlin exceptions" to ::ruleViolations,
            "a refusal carries its code and facts, told in the technician's language" to ::refusalsInTheTechniciansLanguage,
            "no access leaves a message note and the job returns to HQ" to ::noAccess,
            "HQ unreachable is an Offline exception and the work stays queued" to ::offline,
            "a revoked device gets an Hq exception, nothing is lost" to ::revoked,
            "a remote wipe hands in the unsent work, deletes the store and calls onWiped" to ::remoteWipe,
            "the job list and a job are Flows that follow local steps and syncs" to ::jobFlows,
            "a screen driven by availableActions alone works a visit to the handover" to ::drivenByAvailableActions,
            "a GPS repair out of warranty: vehicle, parts only, terminal and SIM pairs" to ::gpsRepairVisit,
            "the store opens with its key; a wrong key is a typed exception and changes nothing" to ::storeKey,
            // Issue 15: when the shells sync (SyncPolicyStories.kt).
            "sync policy: a handed-over visit syncs at once, expedited" to ::handoverSyncsAtOnce,
            "sync policy: offline nothing runs until the network returns, then a sync runs" to ::offlineWaitsForTheNetwork,
            "sync policy: the retry wait doubles to its cap within its jitter and resets after a success" to ::backoffDoublesToTheCapAndResets,
            "sync policy: each typed error of the core is a retry, a later try or a stop" to ::typedErrorsMapToDecisions,
            "sync policy: a revoked device or a remote wipe at a real HQ stops the schedule" to ::revokedAndWipedStopTheSchedule,
            "sync policy: HQ unreachable schedules a retry; the network back syncs at once" to ::hqUnreachableThenBack,
        )
        var failed = 0
        for ((name, test) in tests) {
            val started = System.nanoTime()
            try {
                runBlocking { test(hq) }
                println("ok    $name (${(System.nanoTime() - started) / 1_000_000} ms)")
            } catch (t: Throwable) {
                failed++
                println("FAIL  $name")
                t.printStackTrace(System.out)
            }
        }
        println("kotlin: ${tests.size - failed} passed, $failed failed")
        failed
    }
    exitProcess(failed)
}

// --- the tests ----------------------------------------------------------------------

suspend fun completeVisit(hq: Hq) {
    val phone = hq.newTechnician("kt-full")
    val tech = phone.tech
    val job = hq.dispatch("kt-full", "KT-FULL-1")
    tech.setLanguage(Language.ZH_CN)

    // Sync brings the job; the Flow saw the sync go through its states.
    val seen = mutableListOf<SyncProgress>()
    val report = collectingSync(tech, seen)
    assertTrue(report.changesPulled >= 1uL, "the dispatched job is pulled: $report")
    assertTrue(seen.any { it is SyncProgress.Pulling }, "the flow reported pulling: $seen")
    assertEquals(SyncProgress.Idle, tech.syncState.value)
    assertEquals(listOf(job), tech.jobs().map { it.jobId })

    tech.accept(job)
    answerAll(tech, job, ChecklistPhase.BEFORE_LEAVING)
    tech.depart(job)
    val arrived = tech.arrive(job)
    assertTrue(arrived.punctuality != null, "arrival is judged against the appointment")
    answerAll(tech, job, ChecklistPhase.ARRIVAL)
    tech.assess(job, Assessment(listOf("角阀"), "角阀老化渗水", listOf("更换角阀"), "更换", 30u))

    // Quote: a schedule line, and an off-schedule line that needs a supervisor's code.
    val service = tech.feeSchedule(job).first { it.kind == QuoteLineKind.SERVICE }
    tech.addQuoteLine(job, QuoteItem.Schedule(service.code, null), 1u)
    val quoted = tech.addQuoteLine(job, QuoteItem.OffSchedule(QuoteLineKind.SERVICE, "拆装地柜底板", 8_000), 1u)
    val offSchedule = quoted.quoteLines.last()
    assertTrue(offSchedule.needsApproval)
    val unapproved = assertFailsWith<OnsiteException.QuoteLineRule> { tech.presentQuote(job) }
    assertEquals("off_schedule_needs_approval" to offSchedule.lineNo, unapproved.code to unapproved.lineNo)
    val badCode = assertFailsWith<OnsiteException.QuoteLineRule> {
        tech.approveQuoteLine(job, offSchedule.lineNo, "主管 陈工", "000000")
    }
    assertEquals("invalid_approval_code", badCode.code)
    // The code comes from the supervisor's own tool (not the technician's app), so this
    // job waits for their call, unquoted. The service centre sends the technician on to
    // the next job, which is worked to the end.
    assertEquals(JobStatus.ASSESSED, tech.job(job).status)
    val job2 = hq.dispatch(phone.technicianId, "KT-FULL-2")
    tech.syncNow()
    tech.accept(job2)
    answerAll(tech, job2, ChecklistPhase.BEFORE_LEAVING)
    tech.depart(job2)
    tech.arrive(job2)
    answerAll(tech, job2, ChecklistPhase.ARRIVAL)
    tech.assess(job2, Assessment(listOf("角阀"), "角阀老化渗水", listOf("更换角阀"), "更换", 30u))
    tech.addQuoteLine(job2, QuoteItem.Schedule(service.code, null), 2u)
    val presented = tech.presentQuote(job2)
    assertEquals(JobStatus.QUOTED, presented.status)
    assertEquals(service.priceFen * 2, presented.quoteTotalFen)
    tech.customerConsents(job2, "王女士")

    // A customer-supplied valve fails inspection (with a photo); it may be used only with a concession.
    tech.addMaterial(job2, MaterialInput("m1", MaterialSource.CUSTOMER_SUPPLIED, "客户自购角阀(塑料阀芯)", 1u, null))
    val photo = tech.addPhoto(job2, jpeg(2400, 1800))
    assertEquals(64, photo.sha256.length)
    assertEquals(1600u, photo.width, "downsized to the 1600 px edge")
    tech.inspectMaterial(job2, "m1", InspectionVerdict.FAIL, "塑料阀芯,耐压偏低", listOf(photo.sha256))
    tech.startWork(job2)
    val refused = assertFailsWith<OnsiteException.MaterialRule> { tech.useMaterial(job2, "m1") }
    assertEquals("concession_required" to "m1", refused.code to refused.materialId)
    assertContains(refused.msg, "客户自购角阀(塑料阀芯)", message = "the material is named by its description")
    tech.noteConcession(
        job2,
        "m1",
        ConcessionInput("塑料阀芯,耐压偏低", "已告知可能提前老化漏水,客户坚持使用自购件", "王女士", true),
    )
    val used = tech.useMaterial(job2, "m1").materials.single()
    assertTrue(used.used && used.hasConcession && used.verdict == InspectionVerdict.FAIL)
    answerAll(tech, job2, ChecklistPhase.WORK_RULES)
    tech.finishWork(job2, 45u, "更换角阀,通水试验无渗漏")
    answerAll(tech, job2, ChecklistPhase.COMPLETION)

    // The customer signs on the pad; the signature is bound to what was accepted.
    tech.recordAcceptance(
        job2,
        AcceptanceInput(CustomerOpinion.Rated(CustomerRating.SATISFIED), CustomerOpinion.Rated(CustomerRating.SATISFIED), "师傅很专业", true, SignOff.Sign("王女士", signature()), technicianPad = signature()),
    )
    assertTrue(tech.verifySignature(job2))
    val png = tech.signaturePng(job2, 600u, 200u)
    assertTrue(png.size > 100 && png[1] == 'P'.code.toByte() && png[2] == 'N'.code.toByte(), "a PNG")

    // Payment in cash with change, and the receipt in every format.
    val due = tech.job(job2).dueOnSiteFen
    assertEquals(service.priceFen * 2, due)
    val unchecked = assertFailsWith<OnsiteException.MoneyRule> { tech.takePayment(job2, PaymentMethod.CASH, due + 5_000) }
    assertEquals("cash_not_checked", unchecked.code, "cash is checked and counted in front of the customer first")
    tech.takePayment(job2, PaymentMethod.CASH, due + 5_000, cashChecked = true)
    val receipt = tech.issueReceipt(job2)
    assertEquals(JobStatus.SETTLED, tech.job(job2).status, "payment and receipt settle the job")
    assertEquals(receipt.number, tech.job(job2).receiptNumber)
    assertEquals(due, receipt.totalFen)
    assertEquals(5_000, receipt.changeFen)
    assertTrue(!receipt.emergency)
    val text = tech.receiptText(receipt.number)
    assertContains(text, receipt.number)
    assertContains(text, "收费收据")
    val html = tech.receiptHtml(receipt.number)
    assertContains(html, "<html")
    assertContains(html, "data:image/png;base64,")
    for (paper in listOf(Paper.MM58, Paper.MM80)) {
        val escpos = tech.receiptEscPos(receipt.number, paper)
        assertTrue(escpos[0] == 0x1b.toByte() && escpos[1] == '@'.code.toByte(), "ESC @ first")
        assertTrue(escpos.toList().windowed(2).any { it[0] == 0x1d.toByte() && it[1] == 'V'.code.toByte() }, "cut")
    }
    tech.setLanguage(Language.EN)
    assertContains(tech.receiptText(receipt.number), "Receipt")
    assertContains(tech.workOrderHtml(job2), "<html")
    assertContains(tech.workOrderText(job2), job2)
    assertEquals(ReceiptChain.Intact, tech.store { verifyReceiptChain() })
    tech.handOver(job2)

    // Back online: everything reaches HQ and the outbox drains.
    val sent = tech.syncNow()
    assertTrue(sent.opsApplied > 0uL && sent.opsRejected == 0uL, "$sent")
    assertEquals(0L, tech.pendingChanges())
    assertContains(hq.orders(phone.technicianId), Regex("\"job_id\": \"$job2\"[^}]*\"status\": \"handed_over\""))
    assertContains(hq.followups(), job2, message = "fix uncertain puts the job on the follow-up queue")

    // What the phone claims, read back from HQ's own record of the visit.
    val settled = hq.order(job2)
    assertEquals(statusName(tech.job(job2).status), settled.at("status"), "the settled job's state at HQ")
    assertEquals(receipt.number, settled.at("receipt", "number"), "HQ holds the phone's receipt number")
    assertEquals(receipt.totalFen, settled.at("quote_totals", "total"), "HQ holds the receipt's total")
    assertEquals(receipt.totalFen, settled.at("payment", "due"), "HQ holds the amount due")
    assertEquals(receipt.receivedFen, settled.at("payment", "received"), "HQ holds the amount received")
    assertEquals(receipt.changeFen, settled.at("payment", "change"), "HQ holds the change given")
    assertEquals(listOf(photo.sha256), settled.at("materials", 0, "inspection", "photos"), "HQ's inspection names the phone's photo")
    val uploaded = hq.blob(photo.sha256) ?: fail("HQ has no blob ${photo.sha256}")
    assertEquals(photo.sha256, sha256Hex(uploaded), "HQ's bytes are the phone's photo")
    // The first job waits at HQ exactly as it waits on the phone: assessed, with the same quote lines.
    val waiting = tech.job(job)
    val first = hq.order(job)
    assertEquals(statusName(waiting.status), first.at("status"), "the first job's state at HQ")
    assertEquals(
        waiting.quoteLines.map { it.lineNo.toLong() to it.lineTotalFen },
        (first.at("quote_lines") as List<*>).indices.map { i -> first.at("quote_lines", i, "line_no") to first.at("quote_lines", i, "line_total") },
        "the first job's quote lines at HQ",
    )
    tech.close()
}

suspend fun ruleViolations(hq: Hq) {
    val phone = hq.newTechnician("kt-rules")
    val tech = phone.tech
    val job = hq.dispatch("kt-rules", "KT-RULES-1")
    tech.syncNow()

    val early = assertFailsWith<OnsiteException.IllegalTransition> { tech.arrive(job) }
    assertEquals(JobStatus.DISPATCHED, early.status)
    assertEquals("arrive" to "wrong_status", early.action to early.rule)
    assertEquals(listOf(JobStatus.EN_ROUTE), early.allowed, "arriving needs the job en route")
    val unknown = assertFailsWith<OnsiteException.UnknownJob> { tech.job("NO-SUCH-JOB") }
    assertEquals("NO-SUCH-JOB", unknown.jobId)
    tech.accept(job)
    assertFailsWith<OnsiteException.ChecklistIncomplete> { tech.depart(job) }
    val photo = assertFailsWith<OnsiteException.InvalidPhoto> { tech.addPhoto(job, "not a picture".toByteArray()) }
    assertEquals("invalid_photo", photo.code)
    answerAll(tech, job, ChecklistPhase.BEFORE_LEAVING)
    tech.depart(job)
    tech.arrive(job)
    answerAll(tech, job, ChecklistPhase.ARRIVAL)
    tech.assess(job, Assessment(emptyList(), "漏水", emptyList(), "", 10u))
    val noSuchCode = assertFailsWith<OnsiteException.UnknownScheduleCode> {
        tech.addQuoteLine(job, QuoteItem.Schedule("NO-SUCH-CODE", null), 1u)
    }
    assertEquals("NO-SUCH-CODE", noSuchCode.scheduleCode)
    val gold = assertFailsWith<OnsiteException.AmountOutOfRange> {
        tech.addQuoteLine(job, QuoteItem.OffSchedule(QuoteLineKind.PART, "金条", Long.MAX_VALUE), 1u)
    }
    assertEquals(Long.MAX_VALUE, gold.amountFen)
    val service = tech.feeSchedule(job).first { it.kind == QuoteLineKind.SERVICE }
    tech.addQuoteLine(job, QuoteItem.Schedule(service.code, null), 1u)
    tech.presentQuote(job)
    tech.customerConsents(job, "李先生")
    tech.addMaterial(job, MaterialInput("m1", MaterialSource.CUSTOMER_SUPPLIED, "自购软管", 1u, null))
    tech.startWork(job)
    val uninspected = assertFailsWith<OnsiteException.MaterialRule> { tech.useMaterial(job, "m1") }
    assertEquals("inspection_required" to "自购软管", uninspected.code to uninspected.description)
    answerAll(tech, job, ChecklistPhase.WORK_RULES)
    tech.finishWork(job, 10u, "更换软管")
    answerAll(tech, job, ChecklistPhase.COMPLETION)
    val blank = SignaturePad(600f, 200f, 2f, emptyList())
    val unsigned = assertFailsWith<OnsiteException.Signature> {
        tech.recordAcceptance(job, AcceptanceInput(CustomerOpinion.Rated(CustomerRating.SATISFIED), CustomerOpinion.Rated(CustomerRating.SATISFIED), "", false, SignOff.Sign("李先生", blank)))
    }
    assertEquals("invalid_signature", unsigned.code)
    assertTrue(unsigned.detail.isNotBlank(), "the technical detail is kept for logs")
    assertFailsWith<OnsiteException.IllegalTransition> { tech.takePayment(job, PaymentMethod.CASH, 1) }
    tech.recordAcceptance(job, AcceptanceInput(CustomerOpinion.Rated(CustomerRating.AVERAGE), CustomerOpinion.Declined("赶时间"), "", false, SignOff.Refuse("赶时间")))
    val due = tech.job(job).dueOnSiteFen
    assertTrue(tech.pendingChanges() > 0, "the visit so far waits in the outbox")
    val short = leavesNoTrace(phone, job) { assertFailsWith<OnsiteException.PaymentRule> { tech.takePayment(job, PaymentMethod.CASH, 1, cashChecked = true) } }
    assertEquals(Triple("underpaid", due, 1L), Triple(short.code, short.dueFen, short.receivedFen))
    val tip = leavesNoTrace(phone, job) { assertFailsWith<OnsiteException.PaymentRule> { tech.takePayment(job, PaymentMethod.WECHAT_PAY, due + 500) } }
    assertEquals("not_exact_amount" to PaymentMethod.WECHAT_PAY, tip.code to tip.method)
    leavesNoTrace(phone, job) { assertFailsWith<OnsiteException.AmountOutOfRange> { tech.takePayment(job, PaymentMethod.CASH, -5) } }
    val unpaid = leavesNoTrace(phone, job) { assertFailsWith<OnsiteException.IllegalTransition> { tech.issueReceipt(job) } }
    assertEquals("issue_receipt" to "payment_before_receipt", unpaid.action to unpaid.rule)
    val noReceipt = leavesNoTrace(phone, job) { assertFailsWith<OnsiteException.ReceiptRule> { tech.store { reissueReceipt("R-NO-SUCH") } } }
    assertEquals("unknown_receipt" to "R-NO-SUCH", noReceipt.code to noReceipt.number)
    // Any case gives its code and the technician's sentence without a `when`.
    val e = leavesNoTrace(phone, job) { assertFailsWith<OnsiteException> { tech.handOver(job) } }
    assertEquals("illegal_transition", e.errorCode())
    assertContains(e.errorMessage(), "交回")
    tech.close()
}

/** An English word (two lower-case letters in a row) or a Chinese character. */
private val englishWord = Regex("[a-z]{2,}")
private val chinese = Regex("[\\u3400-\\u9fff\\u3000-\\u303f\\uff00-\\uffef]")

suspend fun refusalsInTheTechniciansLanguage(hq: Hq) {
    val tech = hq.newTechnician("kt-lang").tech
    val job = hq.dispatch("kt-lang", "KT-LANG-1")
    tech.syncNow()

    // Chinese until the app says otherwise: the gate names the unanswered items by their titles.
    val early = assertFailsWith<OnsiteException.IllegalTransition> { tech.arrive(job) }
    assertEquals("illegal_transition", early.code)
    assertEquals(JobStatus.DISPATCHED, early.status)
    assertContains(early.msg, "已派工")
    assertEquals(null, englishWord.find(early.msg), early.msg)
    tech.accept(job)
    val gate = assertFailsWith<OnsiteException.ChecklistIncomplete> { tech.depart(job) }
    assertEquals("checklist_incomplete", gate.code)
    assertEquals(ChecklistPhase.BEFORE_LEAVING, gate.phase)
    val checklist = tech.checklist(job, ChecklistPhase.BEFORE_LEAVING)
    assertEquals(checklist.missingRequired, gate.items.map { it.itemId }, "the same items the checklist shows missing")
    val tools = gate.items.single { it.itemId == "tools_ready" }
    assertEquals("工具齐全、完好", tools.title)
    for (item in gate.items) {
        assertEquals(checklist.items.single { it.itemId == item.itemId }.label, item.title)
        assertContains(gate.msg, item.title)
        assertTrue(item.itemId !in gate.msg, "no internal id in the message: ${gate.msg}")
    }
    assertEquals(null, englishWord.find(gate.msg), gate.msg)
    assertEquals(gate.code to gate.msg, gate.errorCode() to gate.errorMessage())

    // The same refusal in English once the technician switches.
    tech.setLanguage(Language.EN)
    val gateEn = assertFailsWith<OnsiteException.ChecklistIncomplete> { tech.depart(job) }
    assertEquals(gate.items.map { it.itemId }, gateEn.items.map { it.itemId })
    assertEquals("Tools complete and in working order", gateEn.items.single { it.itemId == "tools_ready" }.title)
    assertContains(gateEn.msg, "Tools complete and in working order")
    assertEquals(null, chinese.find(gateEn.msg), gateEn.msg)
    val late = assertFailsWith<OnsiteException.IllegalTransition> { tech.arrive(job) }
    assertContains(late.msg, "“Arrive” is not possible")
    tech.close()
}

suspend fun noAccess(hq: Hq) {
    val tech = hq.newTechnician("kt-noaccess").tech
    val job = hq.dispatch("kt-noaccess", "KT-NOACCESS-1")
    tech.syncNow()
    tech.accept(job)
    answerAll(tech, job, ChecklistPhase.BEFORE_LEAVING)
    tech.depart(job)
    tech.arrive(job)
    val v = tech.noAccess(job, "上门无人,已电话联系未接通,请回电预约", 15u, 1u)
    assertEquals(JobStatus.NO_ACCESS, v.status)
    assertContains(tech.messageNoteText(job), "请回电预约")
    val note = tech.messageNoteEscPos(job, Paper.MM58)
    assertTrue(note[0] == 0x1b.toByte() && note[1] == '@'.code.toByte(), "a printable message note")
    tech.syncNow()
    assertEquals(0L, tech.pendingChanges())
    assertContains(hq.orders("kt-noaccess"), Regex("\"status\": \"no_access\""))
    tech.close()
}

suspend fun offline(hq: Hq) {
    val tech = hq.newTechnician("kt-offline").tech
    val job = hq.dispatch("kt-offline", "KT-OFFLINE-1")
    tech.syncNow()
    tech.accept(job)
    val queued = tech.pendingChanges()
    assertTrue(queued > 0)
    // Point the device at a port where nothing listens, as in a basement.
    val dead = ServerSocket(0).use { it.localPort }
    tech.connect("http://127.0.0.1:$dead", "irrelevant")
    assertFailsWith<OnsiteException.Offline> { tech.syncNow() }
    assertTrue(tech.syncState.value is SyncProgress.Offline || tech.syncState.value is SyncProgress.Failed)
    assertEquals(queued, tech.pendingChanges(), "nothing was dropped")
    assertEquals(JobStatus.ACCEPTED, tech.job(job).status)
    tech.close()
}

suspend fun revoked(hq: Hq) {
    val phone = hq.newTechnician("kt-revoked")
    val tech = phone.tech
    val job = hq.dispatch("kt-revoked", "KT-REVOKED-1")
    tech.syncNow()
    tech.accept(job)
    hq.cli("revoke", phone.deviceId)
    val e = assertFailsWith<OnsiteException.Hq> { tech.syncNow() }
    assertEquals("hq_refused" to 401.toUShort(), e.code to e.status)
    assertTrue(tech.pendingChanges() > 0, "the unsent change is kept")
    tech.close()
}

suspend fun remoteWipe(hq: Hq) {
    val phone = hq.newTechnician("kt-wipe")
    val tech = phone.tech
    val job = hq.dispatch("kt-wipe", "KT-WIPE-1")
    tech.syncNow()
    tech.accept(job)
    assertTrue(tech.pendingChanges() > 0, "unsent work on the phone")
    var hookCalled = 0
    tech.onWiped = {
        hookCalled++
        assertTrue(StoreKeys.delete(phone.keyFile), "the wrapped key is deleted")
    }
    hq.cli("wipe", phone.deviceId)
    val e = assertFailsWith<OnsiteException.Wiped> { tech.syncNow() }
    assertEquals("wiped", e.code)
    assertEquals(1, hookCalled, "the shell's hook deletes the key and signs out")
    assertContains(hq.orders("kt-wipe"), Regex("\"job_id\": \"$job\"[^}]*\"status\": \"accepted\""))
    assertFalse(phone.storeFile().exists(), "the store file is deleted")
    assertFalse(phone.keyFile.exists(), "the store's key is deleted")
    assertFailsWith<OnsiteException.Wiped> { tech.jobs() }
    tech.close()
}

/**
 * Issue 14: the store is encrypted with the key the shell keeps wrapped by the
 * keystore. Another key is `OnsiteException.WrongStoreKey` (the store and the
 * work in it untouched); the kept key opens it again with everything there.
 */
suspend fun storeKey(hq: Hq) {
    val phone = hq.newTechnician("kt-key")
    val job = hq.dispatch("kt-key", "KT-KEY-1")
    phone.tech.syncNow()
    phone.tech.accept(job)
    val queued = phone.tech.pendingChanges()
    phone.tech.close()
    val before = phone.store.readBytes()
    assertTrue(
        String(before, Charsets.ISO_8859_1).indexOf("SQLite format 3") < 0,
        "the store file is encrypted",
    )
    // The key on disk is wrapped: its raw bytes are not in the file.
    val wrapped = phone.keyFile.readBytes()
    val key = StoreKeys.getOrCreate(phone.keyFile, hq.keystore)
    assertTrue(wrapped.toList().windowed(key.size).none { it == key.toList() }, "the key file holds the raw key")

    val wrong = ByteArray(StoreKeys.SIZE) { 7 }
    val e = assertFailsWith<OnsiteException.WrongStoreKey> { Onsite.open(phone.store.path, wrong, phone.profile) }
    assertEquals("wrong_store_key", e.errorCode())
    assertContains(e.errorMessage(), "密钥")
    assertTrue(before.contentEquals(phone.store.readBytes()), "a wrong key changed the store")
    // Another keystore cannot unwrap the key (AES-GCM's tag fails).
    assertFailsWith<javax.crypto.AEADBadTagException> {
        StoreKeys.getOrCreate(phone.keyFile, JvmKeystore())
    }

    val again = Onsite.open(phone.store.path, StoreKeys.getOrCreate(phone.keyFile, hq.keystore), phone.profile)
    assertEquals(JobStatus.ACCEPTED, again.job(job).status)
    assertEquals(queued, again.pendingChanges(), "the queued change is still queued")
    again.close()
}

suspend fun jobFlows(hq: Hq) = coroutineScope {
    val tech = hq.newTechnician("kt-flow").tech
    val lists = Channel<List<app.onsite.ffi.JobSummary>>(Channel.UNLIMITED)
    val details = Channel<JobDetail>(Channel.UNLIMITED)
    val listScreen = launch { tech.watchJobs().collect { lists.send(it) } }
    assertEquals(emptyList(), next(lists) { true }, "the current list first")

    // HQ dispatches; the sync brings the job and the list shows it, without asking again.
    val job = hq.dispatch("kt-flow", "KT-FLOW-1")
    tech.syncNow()
    val synced = next(lists) { it.isNotEmpty() }
    assertEquals(listOf(job), synced.map { it.jobId })
    assertEquals(JobStatus.DISPATCHED, synced.single().status)

    // The job's own screen, then a local step: both flows emit the new status.
    val jobScreen = launch { tech.watchJob(job).collect { details.send(it) } }
    assertEquals(JobStatus.DISPATCHED, next(details) { true }.status)
    tech.accept(job)
    next(lists) { it.single().status == JobStatus.ACCEPTED }
    next(details) { it.status == JobStatus.ACCEPTED }

    // HQ cancels meanwhile; the next sync pushes the step and pulls the cancel.
    hq.cli("dispatch", "cancel", job, "业主已自行维修")
    tech.syncNow()
    next(details) { it.status == JobStatus.CANCELLED }
    next(lists) { it.single().status == JobStatus.CANCELLED }

    // A screen that goes away unsubscribes; the rest keeps working.
    jobScreen.cancelAndJoin()
    listScreen.cancelAndJoin()
    assertEquals(JobStatus.CANCELLED, tech.job(job).status)
    tech.close()
}

// --- helpers ------------------------------------------------------------------------

/** The first value from a flow's channel that [matches], within 10 s (a flow may emit more often). */
private suspend fun <T> next(values: ReceiveChannel<T>, matches: (T) -> Boolean): T = withTimeout(10_000) {
    var v = values.receive()
    while (!matches(v)) v = values.receive()
    v
}

/** Runs a sync while collecting the StateFlow, as a screen would. */
private suspend fun collectingSync(tech: Onsite, into: MutableList<SyncProgress>) = kotlinx.coroutines.coroutineScope {
    val collector = launch { tech.syncState.collect { into += it } }
    yield()
    val report = tech.syncNow()
    yield()
    collector.cancel()
    report
}

/** Answers every shown item of a phase, as a careful technician would, until none is missing. */
private suspend fun answerAll(tech: Onsite, job: String, phase: ChecklistPhase) {
    repeat(5) {
        val list = tech.checklist(job, phase)
        val open = list.items.filter { it.answer == null }
        if (open.isEmpty() && list.missingRequired.isEmpty()) return
        for (item in open) {
            val answer = when (val input = item.input) {
                is ItemInput.Check -> AnswerValue.Check(true)
                is ItemInput.YesNo -> AnswerValue.YesNo(true)
                is ItemInput.Number -> AnswerValue.Number((input.min + input.max) / 2)
                is ItemInput.Text -> AnswerValue.Text("正常")
                is ItemInput.Choice -> AnswerValue.Choice(input.optionIds.first())
                is ItemInput.Photo -> AnswerValue.Photo(tech.addPhoto(job, jpeg(320, 240)).sha256)
            }
            tech.answer(job, list.templateId, item.itemId, answer)
        }
    }
    val left = tech.checklist(job, phase).missingRequired
    if (left.isNotEmpty()) fail("still missing in $phase: $left")
}

/** A handwritten-looking name: three strokes sampled every 8 ms. */
private fun signature(): SignaturePad {
    val rec = SignatureRecorder(600f, 200f, 2f)
    var t = 1_000_000L
    for (s in 0 until 3) {
        val x0 = 60f + s * 170f
        for (i in 0..40) {
            val x = x0 + i * 3.5f
            val y = 100f + 50f * sin(i / 40.0 * 2 * PI + s).toFloat()
            if (i == 0) rec.down(x, y, t) else rec.move(x, y, t, 0.5f + i / 100f)
            t += 8
        }
        rec.up(x0 + 145f, 100f, t)
        t += 200
    }
    return rec.pad()
}

/**
 * Runs a call the rules refuse and checks it left nothing behind: the same
 * number of pending changes, the same outbox rows (read from the store file
 * itself), and the same job.
 */
private suspend fun <T> leavesNoTrace(phone: Phone, job: String, refused: suspend () -> T): T {
    val (count, rows, detail) = Triple(phone.tech.pendingChanges(), phone.outbox(), phone.tech.job(job))
    assertEquals(count, rows.size.toLong(), "the outbox in the file holds the pending changes")
    val result = refused()
    assertEquals(count, phone.tech.pendingChanges(), "a refused call changed the number of pending changes")
    val now = phone.outbox()
    val (added, removed) = (now - rows.toSet()) to (rows - now.toSet())
    assertTrue(added.isEmpty() && removed.isEmpty(), "a refused call changed the outbox: added $added, removed $removed")
    assertEquals(detail, phone.tech.job(job), "a refused call changed the job")
    return result
}

/** HQ's name of a status: the enum constant in snake case (`HANDED_OVER` -> `handed_over`). */
private fun statusName(s: JobStatus) = s.name.lowercase()

private fun sha256Hex(bytes: ByteArray) =
    java.security.MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

/** A camera-like JPEG made with the JDK's encoder. */
private fun jpeg(w: Int, h: Int): ByteArray {
    val img = BufferedImage(w, h, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.color = Color(40, 90, 160)
    g.fillRect(0, 0, w, h)
    g.color = Color.WHITE
    g.fillOval(w / 4, h / 4, w / 2, h / 2)
    g.dispose()
    return ByteArrayOutputStream().also { ImageIO.write(img, "jpg", it) }.toByteArray()
}

/** A technician's phone: the open store, its file and wrapped key, and who it belongs to. */
class Phone(
    val tech: Onsite,
    val technicianId: String,
    val deviceId: String,
    val store: File,
    val keyFile: File,
    val profile: app.onsite.ffi.TechnicianProfile,
    private val hq: Hq,
) {
    /** The store file on disk. */
    fun storeFile(): File = store

    /**
     * Every outbox row as the store file holds it, one line each, read with
     * `onsite store outbox` and the store's key (the file is encrypted: the
     * sqlite3 tool cannot read it).
     */
    fun outbox(): List<String> {
        val key = StoreKeys.getOrCreate(keyFile, hq.keystore)
        val pb = ProcessBuilder(hq.onsite.absolutePath, "store", "outbox", store.absolutePath).redirectErrorStream(true)
        pb.environment()["ONSITE_STORE_KEY"] = key.joinToString("") { "%02x".format(it) }
        key.fill(0)
        val p = pb.start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) { "onsite store outbox: $out" }
        return out.lines().filter { it.isNotEmpty() }
    }
}

/**
 * JSON as HQ sends it, parsed into maps, lists, strings, longs, doubles,
 * booleans and nulls (the JVM has no parser of its own, and the suite no
 * dependencies beyond the Kotlin compiler's). Throws on anything malformed.
 */
class Json private constructor(private val s: String) {
    private var i = 0

    companion object {
        fun parse(text: String): Any? = Json(text).run { value().also { space(); check(i == s.length) { "trailing JSON at $i" } } }
    }

    private fun space() { while (i < s.length && s[i].isWhitespace()) i++ }

    private fun value(): Any? {
        space()
        return when (val c = s[i]) {
            '{' -> obj()
            '[' -> array()
            '"' -> string()
            't' -> word("true", true)
            'f' -> word("false", false)
            'n' -> word("null", null)
            else -> {
                check(c == '-' || c.isDigit()) { "unexpected '$c' at $i" }
                val start = i
                while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
                val n = s.substring(start, i)
                n.toLongOrNull() ?: n.toDouble()
            }
        }
    }

    private fun word(w: String, v: Any?): Any? {
        check(s.startsWith(w, i)) { "'$w' expected at $i" }
        i += w.length
        return v
    }

    private fun obj(): Map<String, Any?> {
        val m = linkedMapOf<String, Any?>()
        i++; space()
        if (s[i] == '}') { i++; return m }
        while (true) {
            space(); val k = string(); space()
            check(s[i++] == ':') { "':' expected at $i" }
            m[k] = value(); space()
            when (s[i++]) {
                '}' -> return m
                ',' -> continue
                else -> error("',' or '}' expected at $i")
            }
        }
    }

    private fun array(): List<Any?> {
        val l = mutableListOf<Any?>()
        i++; space()
        if (s[i] == ']') { i++; return l }
        while (true) {
            l += value(); space()
            when (s[i++]) {
                ']' -> return l
                ',' -> continue
                else -> error("',' or ']' expected at $i")
            }
        }
    }

    private fun string(): String {
        check(s[i++] == '"') { "string expected at $i" }
        val b = StringBuilder()
        while (true) {
            when (val c = s[i++]) {
                '"' -> return b.toString()
                '\\' -> when (val e = s[i++]) {
                    'u' -> { b.append(s.substring(i, i + 4).toInt(16).toChar()); i += 4 }
                    'n' -> b.append('\n'); 't' -> b.append('\t'); 'r' -> b.append('\r')
                    'b' -> b.append('\b'); 'f' -> b.append('\u000c')
                    else -> b.append(e)
                }
                else -> b.append(c)
            }
        }
    }
}

/** The value at a path of keys and indices in parsed JSON; fails naming the path when a key is absent. */
fun Any?.at(vararg path: Any): Any? = path.fold(this) { node, key ->
    when (key) {
        is String -> (node as? Map<*, *>)?.let { if (key in it) it[key] else fail("no \"$key\" in $it") }
        is Int -> (node as? List<*>)?.getOrElse(key) { fail("no [$key] in $node") }
        else -> fail("bad path element $key")
    }
}

/**
 * The JVM's stand-in for the Android Keystore: a software AES-256 key in
 * memory, behind the same [KeyWrapper] (AES-GCM) the phone uses.
 */
class JvmKeystore : KeyWrapper by AesGcmKeyWrapper(
    javax.crypto.KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().let { key -> { key } },
)

/** A real HQ: `onsite hq serve` on a free loopback port with a SQLite file in a temp dir. */
class Hq(val onsite: File) : AutoCloseable {
    /** The phones' keystore for this run. */
    val keystore = JvmKeystore()

    private val dir = Files.createTempDirectory("onsite-kotlin-").toFile()
    private val token = "kotlin-suite-admin-token"
    private val port = ServerSocket(0).use { it.localPort }
    val url = "http://127.0.0.1:$port"
    private val process: Process = ProcessBuilder(
        onsite.absolutePath, "hq", "serve",
        "--db", File(dir, "hq.sqlite3").absolutePath,
        "--listen", "127.0.0.1:$port",
        "--admin-token", token,
    ).directory(dir).redirectErrorStream(true).redirectOutput(File(dir, "hq.log")).start()

    init {
        // Never leave a server behind, even when the JVM is stopped.
        Runtime.getRuntime().addShutdownHook(Thread { process.destroyForcibly() })
        val deadline = System.currentTimeMillis() + 30_000
        while (true) {
            if (!process.isAlive) error("onsite hq serve exited: ${File(dir, "hq.log").readText()}")
            if (runCatching { Socket("127.0.0.1", port).close() }.isSuccess) break
            if (System.currentTimeMillis() > deadline) error("HQ did not listen on $port")
            Thread.sleep(50)
        }
    }

    fun cli(vararg args: String): String {
        val p = ProcessBuilder(listOf(onsite.absolutePath, "hq") + args + listOf("--hq", url, "--admin-token", token))
            .directory(dir).redirectErrorStream(true).start()
        val out = p.inputStream.bufferedReader().readText()
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) { "onsite hq ${args.joinToString(" ")}: $out" }
        return out
    }

    /**
     * Enrolls a technician's phone: HQ makes a code, the device exchanges it, opens its store.
     * The phone syncs with [hqUrl] (HQ itself, or a [Link] to it).
     */
    suspend fun newTechnician(id: String, hqUrl: String = url): Phone {
        val code = Regex("enrollment code for $id: (\\S+)").find(cli("enroll", id, "--name", "师傅 $id"))!!.groupValues[1]
        val device = "phone-$id"
        val enrollment = Onsite.enroll(url, code, device)
        assertEquals(id, enrollment.profile.technicianId)
        val keyFile = File(dir, "$id.key")
        val key = StoreKeys.getOrCreate(keyFile, keystore)
        val tech = Onsite.open(File(dir, "$id.sqlite3").absolutePath, key, enrollment.profile)
        tech.connect(hqUrl, enrollment.token)
        return Phone(tech, id, device, File(dir, "$id.sqlite3"), keyFile, enrollment.profile, this)
    }

    fun dispatch(technician: String, job: String): String {
        cli(
            "dispatch", "create", "--job", job, "--technician", technician,
            "--site", "阳光花园 3栋", "--location", "2单元 1502 厨房", "--customer", "王女士",
            "--phone", "13800000000", "--fault", "厨房水槽下角阀漏水", "--at", "+30",
        )
        return job
    }

    private val http = java.net.http.HttpClient.newHttpClient()

    /** GET on HQ's HTTP API with the admin token: the status and the body. */
    private fun get(path: String): Pair<Int, ByteArray> {
        val request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + path))
            .header("Authorization", "Bearer $token").GET().build()
        val response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofByteArray())
        return response.statusCode() to response.body()
    }

    /** HQ's record of a visit (`GET /v1/orders/{job}`), parsed. */
    fun order(job: String): Any? {
        val (status, body) = get("/v1/orders/$job")
        assertEquals(200, status, "GET /v1/orders/$job: ${String(body)}")
        return Json.parse(String(body, Charsets.UTF_8))
    }

    /** The bytes HQ stores under a photo's hash (`GET /v1/blobs/{sha256}`), or null when it has none. */
    fun blob(sha256: String): ByteArray? {
        val (status, body) = get("/v1/blobs/$sha256")
        if (status == 404) return null
        assertEquals(200, status, "GET /v1/blobs/$sha256: ${String(body)}")
        return body
    }

    fun orders(technician: String) = cli("dispatch", "list", "--technician", technician)
    fun followups() = cli("followups")

    override fun close() {
        process.destroy()
        process.waitFor(10, TimeUnit.SECONDS)
        dir.deleteRecursively()
    }
}

/**
 * A screen that never looks at the status: it shows the offers of
 * `availableActions`, fills the checklist a blocked step names, and presses the
 * first offer it has an input for. The visit must reach the handover, and
 * every blocked offer must say why in Chinese.
 */
suspend fun drivenByAvailableActions(hq: Hq) {
    val phone = hq.newTechnician("kt-offers")
    val tech = phone.tech
    val job = hq.dispatch("kt-offers", "KT-OFFERS-1")
    tech.syncNow()
    val phaseOf = mapOf(
        JobAction.DEPART to ChecklistPhase.BEFORE_LEAVING,
        JobAction.ASSESS to ChecklistPhase.ARRIVAL,
        JobAction.FINISH_WORK to ChecklistPhase.WORK_RULES,
        JobAction.RECORD_ACCEPTANCE to ChecklistPhase.COMPLETION,
    )
    // What this screen presses, in the order it prefers when several are open.
    val plan = listOf(
        JobAction.ACCEPT_JOB, JobAction.DEPART, JobAction.ARRIVE, JobAction.ASSESS,
        JobAction.ADD_QUOTE_LINE, JobAction.PRESENT_QUOTE, JobAction.CUSTOMER_CONSENTS,
        JobAction.START_WORK, JobAction.FINISH_WORK, JobAction.RECORD_ACCEPTANCE,
        JobAction.TAKE_PAYMENT, JobAction.ISSUE_RECEIPT, JobAction.HAND_OVER,
    )
    val service = tech.feeSchedule(job).first { it.kind == QuoteLineKind.SERVICE }
    val pressed = mutableListOf<JobAction>()
    var blockedSeen = 0
    repeat(60) {
        val offers = tech.availableActions(job)
        if (offers.isEmpty()) return@repeat
        for (o in offers) {
            o.blocked?.let { b ->
                blockedSeen++
                assertTrue(b.code.isNotEmpty(), "a blocked offer has a code: $o")
                assertTrue(b.message.any { it.code > 0x4e00 }, "told in Chinese: ${b.message}")
                assertTrue(!Regex("[A-Za-z]{3,} [A-Za-z]{3,}").containsMatchIn(b.message), "no English: ${b.message}")
            }
        }
        val blockedByChecklist = offers.firstOrNull { it.blocked?.code == "checklist_incomplete" && it.action in phaseOf }
        if (blockedByChecklist != null) {
            answerAll(tech, job, phaseOf.getValue(blockedByChecklist.action))
            return@repeat
        }
        val next = plan.firstOrNull { a -> offers.any { it.action == a && it.blocked == null } }
            ?: return@repeat
        // A quote line is added once; after that the screen shows the quote.
        if (next == JobAction.ADD_QUOTE_LINE && tech.job(job).quoteLines.isNotEmpty() &&
            offers.any { it.action == JobAction.PRESENT_QUOTE && it.blocked == null }
        ) {
            tech.presentQuote(job); pressed += JobAction.PRESENT_QUOTE; return@repeat
        }
        when (next) {
            JobAction.ACCEPT_JOB -> tech.accept(job)
            JobAction.DEPART -> tech.depart(job)
            JobAction.ARRIVE -> tech.arrive(job)
            JobAction.ASSESS -> tech.assess(job, Assessment(listOf("角阀"), "角阀老化渗水", listOf("更换角阀"), "更换", 30u))
            JobAction.ADD_QUOTE_LINE -> tech.addQuoteLine(job, QuoteItem.Schedule(service.code, null), 1u)
            JobAction.PRESENT_QUOTE -> tech.presentQuote(job)
            JobAction.CUSTOMER_CONSENTS -> tech.customerConsents(job, "王女士")
            JobAction.START_WORK -> tech.startWork(job)
            JobAction.FINISH_WORK -> tech.finishWork(job, 30u, "更换角阀")
            JobAction.RECORD_ACCEPTANCE -> tech.recordAcceptance(
                job,
                AcceptanceInput(CustomerOpinion.Rated(CustomerRating.SATISFIED), CustomerOpinion.Rated(CustomerRating.SATISFIED), "", false, SignOff.Sign("王女士", signature())),
            )
            JobAction.TAKE_PAYMENT -> tech.takePayment(job, PaymentMethod.WECHAT_PAY, tech.job(job).dueOnSiteFen)
            JobAction.ISSUE_RECEIPT -> tech.issueReceipt(job)
            JobAction.HAND_OVER -> tech.handOver(job)
            else -> fail("the plan has no input for $next")
        }
        pressed += next
    }
    assertEquals(JobStatus.HANDED_OVER, tech.job(job).status, "pressed: $pressed")
    assertTrue(blockedSeen > 0, "the checklists blocked some steps on the way")
    assertEquals(listOf(JobAction.VOID_RECEIPT), tech.availableActions(job).map { it.action }, "after handover only a correction is offered")
    tech.syncNow()
    assertEquals(0L, tech.pendingChanges(), "everything reached HQ")
}

/** The GPS line from Kotlin: the rules are the core's, the shell only passes input. */
suspend fun gpsRepairVisit(hq: Hq) {
    val phone = hq.newTechnician("kt-gps")
    val tech = phone.tech
    val job = "KT-GPS-1"
    hq.cli(
        "dispatch", "create", "--job", job, "--technician", "kt-gps", "--category", "gps_install",
        "--site", "顺达物流车队", "--customer", "刘经理", "--fault", "平台显示终端离线",
        "--plate", "粤B·12345", "--vehicle-model", "东风天龙", "--driver", "陈师傅", "--driver-phone", "13922334455",
    )
    tech.syncNow()
    assertEquals("粤B·12345", tech.job(job).vehicle?.plate, "the vehicle comes with the order")
    tech.accept(job)
    answerAll(tech, job, ChecklistPhase.BEFORE_LEAVING)
    tech.depart(job)
    tech.arrive(job)
    answerAll(tech, job, ChecklistPhase.ARRIVAL)
    tech.assess(job, Assessment(listOf("仪表台下方"), "定位模块无输出", listOf("更换终端"), "更换终端和SIM卡", 60u))
    tech.correctVehicle(job, VehicleInfo("粤B·12345", "东风天龙", "王师傅", "13800001111"))
    // Labour is not charged on a GPS repair; the terminal is.
    val labour = tech.addQuoteLine(job, QuoteItem.Schedule("GP-S-005", null), 1u).quoteLines.last()
    assertEquals(0L, labour.lineTotalFen)
    assertTrue(labour.freeReason != null, "the line says why it is free")
    tech.addQuoteLine(job, QuoteItem.Schedule("GP-P-001", null), 1u)
    tech.presentQuote(job)
    tech.customerConsents(job, "刘经理")
    tech.startWork(job)
    val noSim = assertFailsWith<OnsiteException.InvalidInput> {
        tech.replacePart(job, PartReplacementInput("GP-P-001", "GPS定位终端", "T860000001", "T860000937", false))
    }
    assertEquals("old_sim", noSim.field)
    tech.replacePart(
        job,
        PartReplacementInput(
            "GP-P-001", "GPS定位终端", "T860000001", "T860000937", true,
            oldPartRegistration = "FX-0007", oldSim = "1440012345678", newSim = "1440098765432",
            returnPlate = "粤B·12345", returnFault = "不定位",
        ),
    )
    tech.recordPartsShort(job, PartsShortInput("电源线束", "GPS事业部 王经理", "先用原车线束"))
    val detail = tech.recordDamage(job, DamageInput("拆装时划伤仪表台饰板", 5_000, true))
    assertEquals(1, detail.damages.size)
    assertEquals("王师傅", detail.vehicle?.driverName)
    answerAll(tech, job, ChecklistPhase.WORK_RULES)
    tech.finishWork(job, 60u, "更换终端和SIM卡,平台上线")
    answerAll(tech, job, ChecklistPhase.COMPLETION)
    tech.recordAcceptance(job, AcceptanceInput(CustomerOpinion.Rated(CustomerRating.SATISFIED), CustomerOpinion.Rated(CustomerRating.SATISFIED), "", false, SignOff.Sign("刘经理", signature())))
    val due = tech.job(job).dueOnSiteFen
    assertEquals(39_800L, due, "parts only")
    tech.takePayment(job, PaymentMethod.CASH, due, cashChecked = true)
    tech.issueReceipt(job)
    tech.handOver(job)
    val sent = tech.syncNow()
    assertTrue(sent.opsApplied > 0uL && sent.opsRejected == 0uL, "$sent")
    tech.close()
}
