import Foundation

/// The core's HTTP backend on the platform's own stack: `URLSession`, with
/// the system's trusted certificates (an enterprise's installed ones too), its
/// proxy settings and TLS updates, and no HTTP library inside the app.
///
/// It sends exactly what the core built: the core sets every header (token,
/// codings), compresses the body, retries and reads the answer, so nothing
/// here decides anything. The core calls `send` on a background thread of its
/// own and waits for the whole answer, so this blocks that thread (never the
/// main one) until URLSession calls back. `URLSession` may inflate a gzip
/// answer itself and keep its `Content-Encoding`; the core reads such an
/// answer as it is.
public final class URLSessionHttp: HttpBackend, @unchecked Sendable {
    private let session: URLSession
    private let noRedirects = NoRedirects()

    /// An ephemeral session by default: no cookies, no cache, nothing on disk.
    public init(configuration: URLSessionConfiguration = .ephemeral) {
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        session = URLSession(configuration: configuration, delegate: noRedirects, delegateQueue: nil)
    }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw HttpError.Transport(reason: "not a URL: \(request.url)")
        }
        var req = URLRequest(url: url)
        req.httpMethod = request.method
        req.timeoutInterval = TimeInterval(request.timeoutMs) / 1000
        for header in request.headers {
            req.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if !request.body.isEmpty {
            req.httpBody = request.body
        }
        let done = DispatchSemaphore(value: 0)
        var answer: Result<HttpResponse, Error> = .failure(HttpError.Transport(reason: "no answer"))
        let task = session.dataTask(with: req) { data, response, error in
            defer { done.signal() }
            if let error {
                // No answer (offline, refused, reset, timed out): the core retries.
                answer = .failure(HttpError.Transport(reason: error.localizedDescription))
                return
            }
            guard let http = response as? HTTPURLResponse else {
                answer = .failure(HttpError.Transport(reason: "not an HTTP answer"))
                return
            }
            let headers = http.allHeaderFields.compactMap { name, value -> HttpHeader? in
                guard let name = name as? String else { return nil }
                return HttpHeader(name: name, value: "\(value)")
            }
            answer = .success(HttpResponse(status: UInt16(clamping: http.statusCode),
                                           headers: headers,
                                           body: data ?? Data()))
        }
        task.resume()
        done.wait()
        return try answer.get()
    }
}

/// Hands a redirect back to the core as the answer it is: HQ never redirects
/// its API, so one means a captive portal or a misconfigured URL.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask,
                    willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest,
                    completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
