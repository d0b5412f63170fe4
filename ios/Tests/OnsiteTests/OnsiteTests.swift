// Mirrors android/onsite/src/test/kotlin/app/onsite/OnsiteJvmSuite.kt.
// Runs with `swift test` on macOS (the XCFramework has a macOS slice) against
// a real `onsite hq serve` started on 127.0.0.1; set ONSITE_BIN to the
// `onsite` binary (cargo build -p onsite-cli). Not compiled on the Linux CI
// machine: no Swift toolchain exists there (see ../../README.md).
import CoreGraphics
import Foundation
import ImageIO
import Onsite
import UniformTypeIdentifiers
import XCTest

#if os(macOS)
final class OnsiteTests: XCTestCase {
    /// One HQ for the whole class, started by the first test (skipped without ONSITE_BIN).
    private static var shared: Hq?

    static func hq() throws -> Hq {
        if let hq = shared { return hq }
        let hq = try Hq()
        shared = hq
        return hq
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
        super.tearDown()
    }

    func testCompleteVisitSyncedToHq() async throws {
        let hq = try Self.hq()
        let phone = try await hq.newTechnician("sw-full")
        let tech = phone.tech
        let job = try hq.dispatch(technician: "sw-full", job: "SW-FULL-1")

        // Collect the stream until the sync is back to idle, as a screen would.
        let states = tech.syncStates()
        let collector = Task { () -> [SyncProgress] in
            var seen: [SyncProgress] = []
            for await state in states {
                seen.append(state)
                if state == .idle && seen.count > 1 { break }
            }
            return seen
        }
        let report = try await tech.syncNow()
        XCTAssertGreaterThanOrEqual(report.changesPulled, 1)
        let seen = await collector.value
        XCTAssertTrue(seen.contains { if case .pulling = $0 { return true } else { return false } }, "\(seen)")
        let jobIds = try await tech.jobs().map(\.jobId)
        XCTAssertEqual(jobIds, [job])

        _ = try await tech.store { try $0.acceptJob(jobId: job) }
        try await answerAll(tech, job, .beforeLeaving)
        _ = try await tech.store { try $0.depart(jobId: job) }
        let arrived = try await tech.store { try $0.arrive(jobId: job) }
        XCTAssertNotNil(arrived.punctuality)
        try await answerAll(tech, job, .arrival)
        _ = try await tech.store {
            try $0.assess(jobId: job, assessment: Assessment(inspectedParts: ["角阀"], findings: "角阀老化渗水",
                                                             repairItems: ["更换角阀"], solution: "更换", estimatedMinutes: 30))
        }
        let category = try await tech.job(job).category
        let service = tech.ffi.feeSchedule(category: category).first { $0.kind == .service }!
        _ = try await tech.store { try $0.addQuoteLine(jobId: job, item: .schedule(code: service.code, warrantyCardPriceFen: nil), qty: 2) }
        let quoted = try await tech.store { try $0.presentQuote(jobId: job) }
        XCTAssertEqual(quoted.quoteTotalFen, service.priceFen * 2)
        _ = try await tech.store { try $0.customerConsents(jobId: job, customerName: "王女士") }

        _ = try await tech.store {
            try $0.addMaterial(jobId: job, material: MaterialInput(materialId: "m1", source: .customerSupplied,
                                                                   description: "客户自购角阀(塑料阀芯)", qty: 1, partCode: nil))
        }
        let photo = try await tech.store { try $0.addPhoto(jobId: job, jpegOrPng: png(width: 2400, height: 1800)) }
        XCTAssertEqual(photo.width, 1600)
        _ = try await tech.store {
            try $0.inspectMaterial(jobId: job, materialId: "m1", verdict: .fail, findings: "塑料阀芯,耐压偏低", photos: [photo.sha256])
        }
        _ = try await tech.store { try $0.startWork(jobId: job) }
        do {
            _ = try await tech.store { try $0.useMaterial(jobId: job, materialId: "m1") }
            XCTFail("failed material used without a concession")
        } catch let OnsiteError.MaterialRule(code, msg, materialId, description) {
            XCTAssertEqual(code, "concession_required")
            XCTAssertEqual(materialId, "m1")
            XCTAssertEqual(description, "客户自购角阀(塑料阀芯)")
            XCTAssertTrue(msg.contains(description), msg)
        }
        _ = try await tech.store {
            try $0.noteConcession(jobId: job, materialId: "m1",
                                  note: ConcessionInput(defect: "塑料阀芯,耐压偏低", explanation: "已告知可能提前老化漏水,客户坚持使用自购件",
                                                        customerName: "王女士", customerConsents: true))
        }
        _ = try await tech.store { try $0.useMaterial(jobId: job, materialId: "m1") }
        try await answerAll(tech, job, .workRules)
        _ = try await tech.store { try $0.finishWork(jobId: job, labourMinutes: 45, summary: "更换角阀,通水试验无渗漏") }
        try await answerAll(tech, job, .completion)

        let pad = signature()
        _ = try await tech.store {
            try $0.recordAcceptance(jobId: job, input: AcceptanceInput(quality: .rated(rating: .satisfied), attitude: .rated(rating: .satisfied), comment: "师傅很专业", fixUncertain: true,
                                                                       signOff: .sign(signerName: "王女士", pad: pad)))
        }
        let verified = try await tech.store { try $0.verifySignature(jobId: job) }
        XCTAssertTrue(verified)
        let sig = try await tech.store { try $0.signaturePng(jobId: job, width: 600, height: 200) }
        XCTAssertEqual(Array(sig.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

        let due = try await tech.job(job).dueOnSiteFen
        _ = try await tech.store { try $0.takePayment(jobId: job, method: .cash, receivedFen: due + 5_000, reference: nil, cashChecked: true) }
        let receipt = try await tech.store { try $0.issueReceipt(jobId: job, emergency: false) }
        XCTAssertEqual(receipt.changeFen, 5_000)
        let settled = try await tech.job(job)
        XCTAssertEqual(settled.status, .settled)
        let text = try await tech.store { try $0.receiptText(number: receipt.number) }
        XCTAssertTrue(text.contains(receipt.number))
        let html = try await tech.store { try $0.receiptHtml(number: receipt.number) }
        XCTAssertTrue(html.contains("data:image/png;base64,"))
        for paper in [Paper.mm58, Paper.mm80] {
            let bytes = try await tech.store { try $0.receiptEscpos(number: receipt.number, paper: paper) }
            XCTAssertEqual(Array(bytes.prefix(2)), [0x1B, 0x40])
        }
        let chain = try await tech.store { try $0.verifyReceiptChain() }
        XCTAssertEqual(chain, .intact)
        _ = try await tech.store { try $0.handOver(jobId: job) }

        let sent = try await tech.syncNow()
        XCTAssertEqual(sent.opsRejected, 0)
        let pending = try await tech.store { try $0.pendingOps() }
        XCTAssertEqual(pending, 0)
        XCTAssertTrue(try hq.cli("dispatch", "list", "--technician", "sw-full").contains("\"status\": \"handed_over\""))
    }

    func testRuleViolationsAreTypedErrors() async throws {
        let hq = try Self.hq()
        let tech = try await hq.newTechnician("sw-rules").tech
        let job = try hq.dispatch(technician: "sw-rules", job: "SW-RULES-1")
        _ = try await tech.syncNow()
        do {
            _ = try await tech.store { try $0.arrive(jobId: job) }
            XCTFail("arrived before accepting")
        } catch let OnsiteError.IllegalTransition(code, msg, action, status, rule, allowed) {
            XCTAssertEqual(code, "illegal_transition")
            XCTAssertEqual(action, "arrive")
            XCTAssertEqual(status, .dispatched)
            XCTAssertEqual(rule, "wrong_status")
            XCTAssertEqual(allowed, [.enRoute])
            XCTAssertTrue(msg.contains("已派工"), msg)
        }
        do {
            _ = try await tech.job("NO-SUCH-JOB")
            XCTFail("unknown job")
        } catch OnsiteError.UnknownJob {}
        _ = try await tech.store { try $0.acceptJob(jobId: job) }
        do {
            _ = try await tech.store { try $0.depart(jobId: job) }
            XCTFail("left with the checklist open")
        } catch let OnsiteError.ChecklistIncomplete(code, msg, phase, items) {
            XCTAssertEqual(code, "checklist_incomplete")
            XCTAssertEqual(phase, .beforeLeaving)
            let tools = items.first { $0.itemId == "tools_ready" }
            XCTAssertEqual(tools?.title, "工具齐全、完好")
            for item in items {
                XCTAssertTrue(msg.contains(item.title), msg)
                XCTAssertFalse(msg.contains(item.itemId), msg)
            }
        }
        tech.setLanguage(.en)
        do {
            _ = try await tech.store { try $0.depart(jobId: job) }
            XCTFail("left with the checklist open")
        } catch let error as OnsiteError {
            XCTAssertEqual(error.errorCode(), "checklist_incomplete")
            XCTAssertTrue(error.localizedDescription.contains("Tools complete and in working order"),
                          error.localizedDescription)
        }
        do {
            _ = try await tech.store { try $0.addPhoto(jobId: job, jpegOrPng: Data("not a picture".utf8)) }
            XCTFail("garbage accepted as a photo")
        } catch OnsiteError.InvalidPhoto {}
    }

    /// Issue 14: another key is `OnsiteError.WrongStoreKey` and changes nothing.
    func testAWrongStoreKeyIsATypedErrorAndChangesNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("store.sqlite3").path
        let profile = TechnicianProfile(technicianId: "T-KEY", technicianName: "师傅", deviceId: "phone-key",
                                        approvalKey: "k")
        let key = Data(repeating: 1, count: StoreKeychain.keySize)
        // Created, then released at once (closing its store).
        _ = try await OnsiteTechnician.open(storePath: path, storeKey: key, profile: profile)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            _ = try await OnsiteTechnician.open(storePath: path, storeKey: Data(repeating: 2, count: 32), profile: profile)
            XCTFail("a wrong key opened the store")
        } catch let OnsiteError.WrongStoreKey(code, _) {
            XCTAssertEqual(code, "wrong_store_key")
        }
        XCTAssertEqual(before, try Data(contentsOf: URL(fileURLWithPath: path)))
        _ = try await OnsiteTechnician.open(storePath: path, storeKey: key, profile: profile)
    }

    func testOfflineKeepsTheWork() async throws {
        let hq = try Self.hq()
        let tech = try await hq.newTechnician("sw-offline").tech
        let job = try hq.dispatch(technician: "sw-offline", job: "SW-OFFLINE-1")
        _ = try await tech.syncNow()
        _ = try await tech.store { try $0.acceptJob(jobId: job) }
        let queued = try await tech.store { try $0.pendingOps() }
        try tech.connect(hqUrl: "http://127.0.0.1:9", token: "irrelevant")
        do {
            _ = try await tech.syncNow()
            XCTFail("synced with nothing listening")
        } catch OnsiteError.Offline {}
        let stillQueued = try await tech.store { try $0.pendingOps() }
        XCTAssertEqual(stillQueued, queued, "nothing was dropped")
    }

    func testAvailableActionsTellAScreenWhatToOffer() async throws {
        let hq = try Self.hq()
        let tech = try await hq.newTechnician("sw-offers").tech
        let job = try hq.dispatch(technician: "sw-offers", job: "SW-OFFERS-1")
        _ = try await tech.syncNow()
        let first = try await tech.availableActions(job)
        XCTAssertTrue(first.contains { $0.action == .acceptJob && $0.blocked == nil }, "\(first)")
        _ = try await tech.store { try $0.acceptJob(jobId: job) }
        let offers = try await tech.availableActions(job)
        let depart = try XCTUnwrap(offers.first { $0.action == .depart })
        XCTAssertEqual(depart.blocked?.code, "checklist_incomplete")
        XCTAssertFalse(depart.blocked?.message.isEmpty ?? true)
        try await answerAll(tech, job, .beforeLeaving)
        let ready = try await tech.availableActions(job)
        XCTAssertNil(ready.first { $0.action == .depart }?.blocked)
    }

    func testJobListAndJobAreStreamsThatFollowStepsAndSyncs() async throws {
        let hq = try Self.hq()
        let tech = try await hq.newTechnician("sw-flow").tech
        var lists = tech.watchJobs().makeAsyncIterator()
        let current = try await firstValue(from: &lists) { _ in true }
        XCTAssertEqual(current, [], "the current list first")

        // HQ dispatches; the sync brings the job and the list shows it, without asking again.
        let job = try hq.dispatch(technician: "sw-flow", job: "SW-FLOW-1")
        _ = try await tech.syncNow()
        let synced = try await firstValue(from: &lists) { !$0.isEmpty }
        XCTAssertEqual(synced.map(\.jobId), [job])
        XCTAssertEqual(synced.first?.status, .dispatched)

        // The job's own screen, then a local step: both streams give the new status.
        var details = tech.watchJob(job).makeAsyncIterator()
        let now = try await firstValue(from: &details) { _ in true }
        XCTAssertEqual(now.status, .dispatched)
        _ = try await tech.store { try $0.acceptJob(jobId: job) }
        _ = try await firstValue(from: &lists) { $0.first?.status == .accepted }
        _ = try await firstValue(from: &details) { $0.status == .accepted }

        // HQ cancels meanwhile; the next sync pushes the step and pulls the cancel.
        try hq.cli("dispatch", "cancel", job, "业主已自行维修")
        _ = try await tech.syncNow()
        _ = try await firstValue(from: &details) { $0.status == .cancelled }
        _ = try await firstValue(from: &lists) { $0.first?.status == .cancelled }
    }
}

// MARK: - helpers

struct Phone {
    let tech: OnsiteTechnician
    let technicianId: String
    let deviceId: String
}

/// A real HQ: `onsite hq serve` on a loopback port with a SQLite file in a temp dir.
final class Hq {
    let onsite: String
    let dir: URL
    let port: Int
    let token = "swift-suite-admin-token"
    let process = Process()
    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        guard let bin = ProcessInfo.processInfo.environment["ONSITE_BIN"] else {
            throw XCTSkip("set ONSITE_BIN to the onsite binary")
        }
        onsite = bin
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("onsite-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        port = 20_000 + Int.random(in: 0..<20_000)
        process.executableURL = URL(fileURLWithPath: onsite)
        process.arguments = ["hq", "serve", "--db", dir.appendingPathComponent("hq.sqlite3").path,
                             "--listen", "127.0.0.1:\(port)", "--admin-token", token]
        process.currentDirectoryURL = dir
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while (try? cli("dispatch", "list")) == nil {
            if Date() > deadline { throw NSError(domain: "onsite", code: 1, userInfo: [NSLocalizedDescriptionKey: "HQ did not start"]) }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dir)
    }

    @discardableResult
    func cli(_ args: String...) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: onsite)
        p.arguments = ["hq"] + args + ["--hq", url, "--admin-token", token]
        p.currentDirectoryURL = dir
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "onsite", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: text])
        }
        return text
    }

    func newTechnician(_ id: String) async throws -> Phone {
        let out = try cli("enroll", id, "--name", "师傅 \(id)")
        let code = String(out.split(separator: ":").last!.trimmingCharacters(in: .whitespacesAndNewlines))
        let device = "phone-\(id)"
        let enrollment = try await OnsiteTechnician.enroll(hqUrl: url, code: code, deviceId: device)
        // The Keychain on the Mac running `swift test`; one key per technician.
        let key = try StoreKeychain.key(account: "swift-suite-\(id)-\(UUID().uuidString)")
        let tech = try await OnsiteTechnician.open(storePath: dir.appendingPathComponent("\(id).sqlite3").path,
                                                   storeKey: key, profile: enrollment.profile)
        try tech.connect(hqUrl: url, token: enrollment.token)
        return Phone(tech: tech, technicianId: id, deviceId: device)
    }

    func dispatch(technician: String, job: String) throws -> String {
        try cli("dispatch", "create", "--job", job, "--technician", technician, "--site", "阳光花园 3栋",
                "--location", "2单元 1502 厨房", "--customer", "王女士", "--phone", "13800000000",
                "--fault", "厨房水槽下角阀漏水", "--at", "+30")
        return job
    }
}

/// The first value of a stream that `matches` (a stream may emit more often).
func firstValue<T>(from values: inout AsyncThrowingStream<T, Error>.Iterator,
                   where matches: (T) -> Bool) async throws -> T {
    while let value = try await values.next() {
        if matches(value) { return value }
    }
    throw NSError(domain: "onsite", code: 2, userInfo: [NSLocalizedDescriptionKey: "the stream ended"])
}

/// Answers every shown item of a phase until none is missing.
func answerAll(_ tech: OnsiteTechnician, _ job: String, _ phase: ChecklistPhase) async throws {
    for _ in 0..<5 {
        let list = try await tech.store { try $0.checklist(jobId: job, phase: phase) }
        let open = list.items.filter { $0.answer == nil }
        if open.isEmpty && list.missingRequired.isEmpty { return }
        for item in open {
            let answer: AnswerValue
            switch item.input {
            case .check: answer = .check(done: true)
            case .yesNo: answer = .yesNo(yes: true)
            case let .number(_, min, max): answer = .number(value: (min + max) / 2)
            case .text: answer = .text(text: "正常")
            case let .choice(optionIds, _): answer = .choice(optionId: optionIds[0])
            case .photo:
                let p = try await tech.store { try $0.addPhoto(jobId: job, jpegOrPng: png(width: 320, height: 240)) }
                answer = .photo(sha256: p.sha256)
            }
            let templateId = list.templateId
            let itemId = item.itemId
            _ = try await tech.store { try $0.answer(jobId: job, templateId: templateId, itemId: itemId, answer: answer) }
        }
    }
    let left = try await tech.store { try $0.checklist(jobId: job, phase: phase) }.missingRequired
    XCTAssertEqual(left, [], "still missing in \(phase)")
}

/// Three handwritten-looking strokes sampled every 8 ms.
func signature() -> SignaturePad {
    var rec = SignatureRecorder(width: 600, height: 200, density: 2)
    var t: TimeInterval = 1000
    for s in 0..<3 {
        let x0 = Float(60 + s * 170)
        for i in 0...40 {
            let x = x0 + Float(i) * 3.5
            let y = 100 + 50 * Float(sin(Double(i) / 40 * 2 * Double.pi + Double(s)))
            if i == 0 { rec.begin(x: x, y: y, timestamp: t) } else { rec.move(x: x, y: y, timestamp: t, pressure: 0.5 + Float(i) / 100) }
            t += 0.008
        }
        rec.end(x: x0 + 145, y: 100, timestamp: t)
        t += 0.2
    }
    return rec.pad
}

/// A camera-like PNG made with CoreGraphics and ImageIO.
func png(width: Int, height: Int) -> Data {
    let ctx = CGContext(data: nil, width: width, height: height, bitsPerComponent: 8, bytesPerRow: 0,
                        space: CGColorSpaceCreateDeviceRGB(), bitmapInfo: CGImageAlphaInfo.premultipliedLast.rawValue)!
    ctx.setFillColor(red: 0.16, green: 0.35, blue: 0.63, alpha: 1)
    ctx.fill(CGRect(x: 0, y: 0, width: width, height: height))
    ctx.setFillColor(red: 1, green: 1, blue: 1, alpha: 1)
    ctx.fillEllipse(in: CGRect(x: width / 4, y: height / 4, width: width / 2, height: height / 2))
    let data = NSMutableData()
    let dest = CGImageDestinationCreateWithData(data as CFMutableData, UTType.png.identifier as CFString, 1, nil)!
    CGImageDestinationAddImage(dest, ctx.makeImage()!, nil)
    CGImageDestinationFinalize(dest)
    return data as Data
}
#endif
