package app.onsite

import app.onsite.ffi.HttpBackend
import app.onsite.ffi.HttpException
import app.onsite.ffi.HttpHeader
import app.onsite.ffi.HttpRequest
import app.onsite.ffi.HttpResponse
import java.io.IOException
import java.net.HttpURLConnection
import java.net.URL

/**
 * The core's HTTP backend on the platform's own stack: `HttpURLConnection`,
 * which on Android is the system's (its trusted certificates, an enterprise's
 * installed ones, its proxy and its TLS updates) and needs no library in the app.
 * An app that prefers its OkHttp client implements [HttpBackend] the same way.
 *
 * Sends exactly what the core built: the core sets every header (token,
 * codings), compresses the body and reads the answer, so nothing here decides
 * anything. The core calls [send] on a background thread of its own.
 */
class UrlConnectionHttp : HttpBackend {
    override fun send(request: HttpRequest): HttpResponse {
        val conn = try {
            URL(request.url).openConnection() as HttpURLConnection
        } catch (e: IOException) {
            throw HttpException.Transport(e.toString())
        } catch (e: IllegalArgumentException) {
            throw HttpException.Transport(e.toString())
        }
        try {
            val timeout = request.timeoutMs.coerceIn(1UL, Int.MAX_VALUE.toULong()).toInt()
            conn.connectTimeout = minOf(timeout, CONNECT_TIMEOUT_MS)
            conn.readTimeout = timeout
            conn.instanceFollowRedirects = false
            conn.useCaches = false
            // HttpURLConnection has no PATCH; HQ takes the chunk upload as POST too.
            conn.requestMethod = if (request.method == "PATCH") "POST" else request.method
            for (h in request.headers) conn.addRequestProperty(h.name, h.value)
            if (request.body.isNotEmpty()) {
                conn.doOutput = true
                conn.setFixedLengthStreamingMode(request.body.size)
                conn.outputStream.use { it.write(request.body) }
            }
            val status = conn.responseCode
            // 4xx and 5xx bodies come on the error stream (null when empty).
            val stream = if (status >= 400) conn.errorStream else conn.inputStream
            val body = stream?.use { it.readBytes() } ?: ByteArray(0)
            val headers = conn.headerFields.flatMap { (name, values) ->
                // The status line is listed under a null name.
                if (name == null) emptyList() else values.map { HttpHeader(name, it) }
            }
            return HttpResponse(status.toUShort(), headers, body)
        } catch (e: IOException) {
            // No answer (refused, reset, timed out, cut short): the core retries.
            conn.disconnect()
            throw HttpException.Transport(e.toString())
        }
    }

    private companion object {
        const val CONNECT_TIMEOUT_MS = 5_000
    }
}
