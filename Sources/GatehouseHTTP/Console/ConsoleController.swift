import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore

/// The operators' console: a dependency-free page (HTML, CSS and JavaScript modules, checked
/// in under `Console/Assets/`) at `/console/`, which talks to the admin API, `/metrics` and
/// `/healthz` from the browser.
///
/// The files are read once, when the type is first used, into a map keyed by their names; a
/// request is answered only for one of those names, so nothing a client sends reaches the
/// file system. Every answer here, errors too, carries ``securityHeaders``. The console is its
/// own routes: the realm API gains no middleware.
public struct ConsoleController: Sendable {
    /// One file of the console, ready to send.
    struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: String
        /// A quoted hash of the bytes, for `If-None-Match`.
        var etag: String
    }

    /// The content type of each extension the console uses; other files are not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
    ]

    /// The assets by file name, read from the resource bundle once.
    static let assets: [String: Asset] = {
        guard let folder = Bundle.module.url(forResource: "Assets", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [:] }
        var assets: [String: Asset] = [:]
        for name in names {
            guard let type = Self.contentTypes[(name as NSString).pathExtension],
                let data = try? Data(contentsOf: folder.appendingPathComponent(name))
            else { continue }
            assets[name] = Asset(body: ByteBuffer(bytes: data), contentType: type, etag: Self.etag(data))
        }
        return assets
    }()

    /// Headers on every console answer: scripts, styles and connections from this origin
    /// only (no inline script or style, no `eval`), never framed, never sniffed, and no
    /// `Referer` leaving the page.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .xFrameOptions: "DENY",
    ]

    public init() {}

    /// Adds `/console` (a redirect to `/console/`), `/console/` (the page) and
    /// `/console/{file}` to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("console") { request, _ -> Response in
            // The page's modules are named relative to it, so it must be read from `/console/`.
            guard request.uri.path.hasSuffix("/") else {
                var headers = Self.securityHeaders
                headers[.location] = "/console/"
                return Response(status: .permanentRedirect, headers: headers)
            }
            return try Self.answer("index.html", request)
        }
        router.get("console/:file") { request, context -> Response in
            try Self.answer(context.parameters.get("file") ?? "", request)
        }
    }

    /// The asset named `name`, or a 304 when the client holds it already; a 404 for any other name.
    static func answer(_ name: String, _ request: Request) throws -> Response {
        guard let asset = Self.assets[name] else {
            throw APIError(.notFound, code: "not_found", detail: "Not found.", headers: Self.securityHeaders)
        }
        var headers = Self.securityHeaders
        headers[.eTag] = asset.etag
        // Modules are named without versions, so the browser asks again each time; the ETag makes that cheap.
        headers[.cacheControl] = "no-cache"
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }

    /// A 64-bit FNV-1a of `data`, quoted: it only has to change when a file does.
    static func etag(_ data: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return "\"" + String(hash, radix: 16) + "\""
    }
}

extension HTTPField.Name {
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `X-Frame-Options`, for browsers that predate `frame-ancestors`.
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
