import Hummingbird
import Strata

/// The seam for query and catalogue routes (`GET`/`POST /api/v1/query`, `/api/v1/measurements`, …).
///
/// The query developer fills ``register(_:)``: register each route with `routes.on(.get, "/api/v1/query") { request, context in … }`
/// so that it appears in ``RouteTable`` (and therefore must be described in `Formats/http-api.yaml`,
/// which the OpenAPI test enforces). Errors thrown as ``APIError`` become JSON `{ "error", "detail" }`
/// with their status; blocking engine reads belong on a thread pool, as the write route does.
struct QueryRoutes: Sendable {
    let engine: Engine

    func register(_ routes: RouteRegistrar<HTTPAPI.Context>) {
        // Intentionally empty until the query engine lands.
    }
}
