package app.onsite

import app.onsite.ffi.InkPoint
import app.onsite.ffi.InkStroke
import app.onsite.ffi.SignaturePad

/**
 * Collects a signature view's touch samples into the pad record the core
 * validates, stores and binds to what was signed.
 *
 * Feed it from `onTouchEvent`: [down] on ACTION_DOWN, [move] for each
 * historical and current sample of ACTION_MOVE, [up] on ACTION_UP. Times are
 * the event times in milliseconds; the recorder makes them relative to the
 * first touch. It keeps no rule: too little ink or points off the canvas are
 * judged by the core when the acceptance is recorded.
 */
class SignatureRecorder(
    private val widthPx: Float,
    private val heightPx: Float,
    private val density: Float,
) {
    private val strokes = mutableListOf<MutableList<InkPoint>>()
    private var t0: Long? = null

    fun down(x: Float, y: Float, eventTimeMs: Long, pressure: Float = 1f) {
        strokes += mutableListOf<InkPoint>()
        move(x, y, eventTimeMs, pressure)
    }

    fun move(x: Float, y: Float, eventTimeMs: Long, pressure: Float = 1f) {
        val start = t0 ?: eventTimeMs.also { t0 = it }
        val stroke = strokes.lastOrNull() ?: mutableListOf<InkPoint>().also { strokes += it }
        stroke += InkPoint(x, y, (eventTimeMs - start).coerceAtLeast(0).toUInt(), pressure)
    }

    fun up(x: Float, y: Float, eventTimeMs: Long, pressure: Float = 1f) = move(x, y, eventTimeMs, pressure)

    /** Starts again (the "clear" button). */
    fun clear() {
        strokes.clear()
        t0 = null
    }

    val isEmpty: Boolean get() = strokes.isEmpty()

    fun pad(): SignaturePad = SignaturePad(widthPx, heightPx, density, strokes.map { InkStroke(it.toList()) })
}
