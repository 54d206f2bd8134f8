import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered as JSON `{ "error": …, "detail": … }` with its status.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var error: String
    public var detail: String?
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ error: String, detail: String? = nil) {
        self.status = status
        self.error = error
        self.detail = detail
    }

    public var response: Response {
        var body: [String: String] = ["error": error]
        if let detail { body["detail"] = detail }
        var response = JSON.response(status: status, body)
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// JSON responses.
enum JSON {
    static func response(status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
