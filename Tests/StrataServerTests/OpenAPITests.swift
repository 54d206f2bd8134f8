import Foundation
import Logging
import NIOPosix
import Strata
import Testing
@testable import StrataServer

/// `Formats/http-api.yaml` lists exactly the routes the server registers.
@Suite("OpenAPI description")
struct OpenAPITests {
    /// (METHOD, path) pairs of the `paths:` section: path keys at two spaces, methods at four.
    static func documentedRoutes() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Formats/http-api.yaml"), encoding: .utf8)
        var routes = Set<String>()
        var inPaths = false
        var currentPath: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line.hasPrefix("paths:"); currentPath = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if let path = currentPath, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = String(line.dropFirst(4).dropLast())
                if methods.contains(method) { routes.insert("\(method.uppercased()) \(path)") }
            }
        }
        return routes
    }

    @Test func everyRegisteredRouteIsDocumentedAndNothingElse() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-openapi-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = try Engine.open(EngineConfiguration(dataDirectory: directory))
        defer { try? engine.close() }
        let api = HTTPAPI(engine: engine, metrics: ServerMetrics(), pool: .singleton, maxBodySize: 1 << 20, logger: Logger(label: "test"))
        let registered = Set(api.makeRouter().routes.routes.map { "\($0.method) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(registered.count >= 8)
        #expect(registered.subtracting(documented).sorted() == [], "registered but not in Formats/http-api.yaml")
        #expect(documented.subtracting(registered).sorted() == [], "documented but not registered")
    }
}
