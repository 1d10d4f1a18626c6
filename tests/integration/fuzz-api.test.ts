import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALLOWED_METHODS, appRequestListener } from "../../scripts/lib/http-server";
import { newTicket } from "../helpers/api";
import { fuzzAssert, runs } from "../helpers/fuzz";
import {
  checkResponse,
  describeRequest,
  diff,
  discoverOperations,
  prototypeSnapshot,
  requestArb,
  send,
  type FuzzOp,
} from "../helpers/fuzz-api";
import { createFuzzWorld, type FuzzWorld } from "../helpers/fuzz-world";

// Property-based fuzzing of every JSON endpoint under src/app/api/v1 (issue 7; docs/decisions/018-fuzzing.md).
// Every handler any route file exports is found by reading the files, so a new route is fuzzed
// without touching this file, and one the fuzzer cannot call fails the first test.
//
// For arbitrary and near-valid bodies, query strings, path ids and headers, as every kind of
// caller (admin, agent, customer, API tokens, anonymous, bad credentials, cross-site):
//   - never a 5xx; every error is {error:{code,message,details?}} JSON whose code matches the status;
//   - no stack frame, file path, SQL or library internals in an error body;
//   - a 4xx changes nothing: every row of every table (hashed per table and org), pg-boss jobs
//     and files on disk are the same after as before;
//   - nothing any request does changes a row of the other org, and no response carries an id of
//     one unless the request named it;
//   - a success only for a documented role, with the documented status and response schema;
//   - no prototype pollution in the process.
// A failure message carries the FUZZ_SEED and the command that replays it.

const FILE = "tests/integration/fuzz-api.test.ts";
const { ops, problems } = await discoverOperations();

let world: FuzzWorld;
/** Status counts per operation; FUZZ_STATS=1 prints them, to see how deep the inputs reach. */
const stats = new Map<string, Record<number, number>>();
/** Ids of the other org's rows and users: no response to the own org's callers may carry one it was not given. */
let foreignIds: string[] = [];
beforeAll(async () => {
  world = await createFuzzWorld();
  const o = world.other;
  foreignIds = [
    o.org.id,
    o.admin.id,
    o.agent.id,
    o.agent2.id,
    o.customer.id,
    o.customer2.id,
    ...Object.values(world.pools.other).flat(),
  ];
}, 120_000);
afterAll(async () => {
  await world?.close();
  if (process.env.FUZZ_STATS) {
    for (const [k, v] of stats)
      console.log(
        `${k.padEnd(48)} ${Object.entries(v)
          .map(([s, n]) => `${s}×${n}`)
          .join(" ")}`,
      );
  }
});

/**
 * Runs per operation: more where there is more to explore, fewer where each call hashes a
 * password. About 2,500 requests in all, ~20 s on an idle 2-core machine.
 */
function runsFor(op: FuzzOp): number {
  if (
    op.template === "/api/v1/auth/token" ||
    op.template === "/api/v1/auth/setup" ||
    op.template === "/api/v1/me/password"
  )
    return runs(20);
  if (op.spec.body) return runs(75);
  if (op.spec.query) return runs(60);
  return runs(30);
}

describe("API fuzzing", () => {
  it("finds and can call every handler exported under src/app/api/v1", () => {
    expect(problems).toEqual([]);
    expect(ops.length).toBeGreaterThanOrEqual(40);
  });

  // The checks themselves must be able to fail.
  it("the checks flag a 500, a leak, a bad envelope, an undocumented status or success and a changed row", async () => {
    const op = ops.find((o) => o.key === "POST /api/v1/tickets")!;
    const req = { caller: "anonymous" as const, params: {}, query: [], body: null, headers: {} };
    const res = (status: number, body: unknown) => ({
      status,
      body,
      text: JSON.stringify(body),
      headers: new Headers({ "content-type": "application/json", "x-request-id": "rid-12345678" }),
    });
    expect(checkResponse(op, req, res(500, { error: { code: "internal", message: "internal error" } }))).toHaveLength(
      1,
    );
    expect(
      checkResponse(
        op,
        req,
        res(400, { error: { code: "validation_failed", message: "at query (/work/main/src/x.ts:1:2)" } }),
      ).length,
    ).toBeGreaterThan(0);
    expect(
      checkResponse(
        op,
        req,
        res(400, { error: { code: "validation_failed", message: "duplicate key value violates" } }),
      ),
    ).toHaveLength(1);
    expect(checkResponse(op, req, res(409, { message: "nope" }))).toHaveLength(1);
    expect(checkResponse(op, req, res(409, { error: { code: "validation_failed", message: "x" } }))).toHaveLength(1);
    // POST /tickets has no path id: a 404 is not in its document entry (issue 20: every status documented).
    expect(checkResponse(op, req, res(404, { error: { code: "not_found", message: "x" } })).join()).toMatch(
      /status 404 is not documented/,
    );
    expect(checkResponse(op, req, res(201, {})).join()).toMatch(/documented for any/);
    expect(
      checkResponse(op, req, res(400, { error: { code: "validation_failed", message: "subject is required" } })),
    ).toEqual([]);
    expect(
      checkResponse(
        op,
        req,
        res(400, { error: { code: "validation_failed", message: `no ${foreignIds[0]}` } }),
        foreignIds,
      ),
    ).toHaveLength(1);
    expect(checkResponse(op, req, res(302, {}))).not.toEqual([]);

    const before = await world.fingerprinter.take();
    await newTicket(world.own.customer);
    const after = await world.fingerprinter.take();
    expect(diff(before, after)).toEqual(
      expect.arrayContaining([`tickets ${world.own.org.id}`, `audit_events ${world.own.org.id}`]),
    );
    expect(diff(before, after, (k) => k.endsWith(` ${world.other.org.id}`))).toEqual([]);
  });

  // Issue 18.6: TRACE answered 500. Methods no route handles never reach the app: the HTTP server
  // in front of Next answers 405 with Allow (Node's parser itself refuses tokens it does not know, 400).
  it("unusual methods on every route answer 405 with Allow (or the parser's 400), never reaching the app", async () => {
    const reached: string[] = [];
    const server = http.createServer(
      appRequestListener(async (req, res) => {
        reached.push(`${req.method} ${req.url}`);
        res.writeHead(204).end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const known = http.METHODS.filter((m) => !(ALLOWED_METHODS as readonly string[]).includes(m) && m !== "CONNECT");
    const method = fc.oneof(
      fc.constantFrom(...known),
      fc
        .stringMatching(/^[A-Z][A-Z_-]{2,11}$/)
        .filter((m) => !(ALLOWED_METHODS as readonly string[]).includes(m) && m !== "CONNECT"),
    );
    const target = fc.tuple(fc.constantFrom(...ops), fc.constantFrom(...Object.values(world.pools.own).flat(), "x"));
    try {
      await fuzzAssert(
        fc.asyncProperty(method, target, async (m, [op, id]) => {
          const path = op.template.replace(/\{\w+\}/g, id);
          const r = await new Promise<{ status: number; allow?: string }>((resolve) => {
            const req = http.request({ host: "127.0.0.1", port, method: m, path, agent: false }, (res) => {
              res.resume();
              res.on("end", () => resolve({ status: res.statusCode!, allow: res.headers.allow }));
            });
            req.on("error", () => resolve({ status: 400 })); // the parser's refusal may just close the socket
            req.end();
          });
          if (known.includes(m)) expect(r, `${m} ${path}`).toEqual({ status: 405, allow: ALLOWED_METHODS.join(", ") });
          else expect([400, 405], `${m} ${path}`).toContain(r.status);
          expect(reached).toEqual([]);
        }),
        { numRuns: runs(150), file: FILE, name: "unusual methods" },
      );
    } finally {
      server.close();
    }
  });

  for (const op of ops) {
    it(
      op.key,
      async () => {
        const proto = prototypeSnapshot();
        const arb = requestArb(op, world.pools, world.hints);
        await fuzzAssert(
          fc.asyncProperty(arb, async (req) => {
            const before = await world.fingerprinter.take();
            const res = await send(op, req, world.creds(req.caller));
            const counts = stats.get(op.key) ?? {};
            counts[res.status] = (counts[res.status] ?? 0) + 1;
            stats.set(op.key, counts);
            const after = await world.fingerprinter.take();
            const found = checkResponse(op, req, res, foreignIds);
            if (res.status >= 400 && res.status < 500) {
              const changed = diff(before, after);
              if (changed.length)
                found.push(`${res.status} ${res.text.slice(0, 200)} but state changed: ${changed.join(", ")}`);
            }
            const otherOrg = diff(before, after, (k) => k.endsWith(` ${world.other.org.id}`));
            if (otherOrg.length) found.push(`the other org's rows changed: ${otherOrg.join(", ")}`);
            if (prototypeSnapshot() !== proto || ({} as Record<string, unknown>).polluted !== undefined)
              found.push("a shared prototype was modified");
            if (res.status < 300 && op.method !== "GET") await world.repair();
            if (found.length) throw new Error(`${found.join("\n")}\n${describeRequest(op, req)}`);
          }),
          { numRuns: runsFor(op), file: FILE, name: op.key },
        );
      },
      120_000,
    );
  }
});
