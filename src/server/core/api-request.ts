// What the request wrapper (route.ts) and the operations read of a request: its method, URL,
// headers and body stream. A WHATWG Request is one (Next's route files pass theirs, tests build
// them); npm start's own server passes a thin adapter over the IncomingMessage instead
// (src/server/api/node-server.ts), because constructing a Request per request cost more than the routing it
// would carry (scripts/bench/router-compare.ts, docs/decisions/046-own-api-server-and-cluster.md).
// It lives in core/ because domain code that reads a body (uploads, the inbound mail webhook)
// takes one, and domain code may not import the transport layer (decision 033). Type only.
export type ApiRequest = Pick<Request, "method" | "url" | "headers" | "body" | "signal">;
