import HTTPTypes
import Hummingbird
import LedgerService
import LedgerStore
import Logging
import NIOCore

/// Failures that exist only over HTTP; every other failure is a ``LedgerError``.
enum ServiceError: Error, Equatable {
    /// No valid bearer token (missing, malformed, unknown, revoked, expired, or its user is not
    /// active: one answer for all, so as not to tell which).
    case unauthenticated
    /// A body over 1 MiB.
    case payloadTooLarge
}

/// Turns every error into the error body of SPEC §7, `{"error": {"code", "message"}}`, with the
/// status of ``LedgerError/Kind``'s one table. Unexpected errors answer `internal` without
/// detail (the detail goes to the log with the request id).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            // A known path asked with a method it does not take: 405 with the methods it takes.
            let allowed = OpenAPIDocument.methods(forPath: request.uri.path)
            guard !allowed.isEmpty else { return ErrorMiddleware.response(for: error, logger: context.logger) }
            var headers = HTTPFields()
            headers[.allow] = allowed.joined(separator: ", ")
            return ErrorMiddleware.body(
                405, "invalid_input",
                "method \(request.method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", "))",
                headers: headers)
        } catch {
            return ErrorMiddleware.response(for: error, logger: context.logger)
        }
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case ServiceError.unauthenticated:
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer"
            return body(
                401, "unauthenticated",
                "a valid bearer token is required (Authorization: Bearer al_…, from `accessledger tokens create`)",
                headers: headers)
        case ServiceError.payloadTooLarge:
            return body(413, "payload_too_large", "the request body is larger than 1 MiB")
        case let error as LedgerError:
            var headers = HTTPFields()
            if error.kind == .unavailable { headers[.retryAfter] = "5" }
            if error.kind == .verificationFailed || error.kind == .internal {
                logger.error("request failed", metadata: ["error": "\(error.description)"])
            }
            return body(error.kind.httpStatus, error.kind.code, error.description, headers: headers)
        case let error as UnreadableEvent:
            logger.error("request failed", metadata: ["error": "\(error.description)"])
            return body(500, "internal", error.description)
        case let error as any HTTPResponseError:
            switch error.status.code {
            case 413: return body(413, "payload_too_large", "the request body is larger than 1 MiB")
            case 404: return body(404, "not_found", "no such route")
            default:
                let code = error.status.code >= 500 ? "internal" : "invalid_input"
                return body(error.status.code, code, error.status.reasonPhrase)
            }
        default:
            logger.error("request failed", metadata: ["error": "\(String(describing: type(of: error)))"])
            return body(500, "internal", "internal error")
        }
    }

    static func body(_ status: Int, _ code: String, _ message: String, headers: HTTPFields = [:]) -> Response {
        JSONResponse.make(status: status, json: JSONShapes.error(code: code, message: message), headers: headers)
    }
}

/// JSON responses.
enum JSONResponse {
    static func make(status: Int, json: OutputJSON, headers: HTTPFields = [:]) -> Response {
        make(status: status, text: json.rendered(), headers: headers)
    }

    static func make(status: Int, text: String, headers: HTTPFields = [:], contentType: String = "application/json")
        -> Response
    {
        var fields = headers
        fields[.contentType] = contentType
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Refuses an `/api/` request without a well-formed `Authorization: Bearer al_…` header before
/// anything else looks at it (401): nothing about a request is checked for a client that has
/// not even shown a token. Whether the token is valid is checked with the request's own work.
struct BearerHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if request.uri.path.hasPrefix("/api/") { _ = try LedgerAPI.bearerHash(request) }
        return try await next(request, context)
    }
}
