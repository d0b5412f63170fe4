import Foundation

/// Collects a signature view's touches into the pad record the core
/// validates, stores and binds to what was signed. Feed it from
/// `touchesBegan` / `touchesMoved` (with coalesced touches) / `touchesEnded`;
/// times are `UITouch.timestamp` seconds, made relative to the first touch.
/// It keeps no rule: too little ink is judged by the core.
public struct SignatureRecorder {
    public let width: Float
    public let height: Float
    public let density: Float
    private var strokes: [[InkPoint]] = []
    private var t0: TimeInterval?

    public init(width: Float, height: Float, density: Float) {
        self.width = width
        self.height = height
        self.density = density
    }

    public mutating func begin(x: Float, y: Float, timestamp: TimeInterval, pressure: Float = 1) {
        strokes.append([])
        move(x: x, y: y, timestamp: timestamp, pressure: pressure)
    }

    public mutating func move(x: Float, y: Float, timestamp: TimeInterval, pressure: Float = 1) {
        let start = t0 ?? timestamp
        t0 = start
        if strokes.isEmpty { strokes.append([]) }
        let ms = UInt32(max(0, min(Double(UInt32.max), (timestamp - start) * 1000)))
        strokes[strokes.count - 1].append(InkPoint(x: x, y: y, tMs: ms, pressure: pressure))
    }

    public mutating func end(x: Float, y: Float, timestamp: TimeInterval, pressure: Float = 1) {
        move(x: x, y: y, timestamp: timestamp, pressure: pressure)
    }

    public mutating func clear() {
        strokes = []
        t0 = nil
    }

    public var isEmpty: Bool { strokes.isEmpty }

    public var pad: SignaturePad {
        SignaturePad(width: width, height: height, density: density, strokes: strokes.map { InkStroke(points: $0) })
    }
}
