import HTTPTypes
import Hummingbird
import Synchronization

/// The routes the server registers, as (method, path): the source of truth that the OpenAPI test
/// compares with `Formats/http-api.yaml`, and what lets the server answer 405 for a known path.
public final class RouteTable: Sendable {
    public struct Route: Hashable, Sendable, Comparable {
        public var method: String
        public var path: String
        public static func < (a: Route, b: Route) -> Bool { (a.path, a.method) < (b.path, b.method) }
    }

    private let storage = Mutex<[Route]>([])

    public init() {}

    public var routes: [Route] { storage.withLock { $0.sorted() } }

    func add(_ method: HTTPRequest.Method, _ path: String) {
        storage.withLock { $0.append(Route(method: method.rawValue, path: path)) }
    }

    /// The route label of a request path for metrics, or nil when no route has this path.
    func path(matching requestPath: String) -> String? {
        storage.withLock { routes in routes.first(where: { $0.path == requestPath })?.path }
    }

    /// Methods registered for `path`.
    func methods(for path: String) -> [String] {
        storage.withLock { routes in routes.filter { $0.path == path }.map(\.method).sorted() }
    }
}

/// Registers routes on a Hummingbird router and records them in a ``RouteTable``.
public struct RouteRegistrar<Context: RequestContext> {
    public let router: Router<Context>
    public let table: RouteTable

    @discardableResult
    public func on(
        _ method: HTTPRequest.Method, _ path: String,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        router.on(RouterPath(path), method: method, use: handler)
        table.add(method, path)
        return self
    }
}
