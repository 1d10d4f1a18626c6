import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
// Next.js's own conversion of a node:http request into the route handler's Request (the body is
// the IncomingMessage itself, which undici wraps in a byte stream), as its app-route template does.
import { NodeNextRequest } from "next/dist/server/base-http/node";
import { NextRequestAdapter, signalFromNodeResponse } from "next/dist/server/web/spec-extension/adapters/next-request";
import { apiRoute as ticketAttachments } from "../helpers/http";
import { setProcessEnv } from "../../src/server/env";
import { newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

// Issue 18.7: an upload 1 to 1,000 bytes over the limit got its 413, and the process also logged
// `uncaughtException: TypeError: Invalid state: ReadableStream is already closed`. Cancelling
// the request body while the end of the body was being read let undici close an already
// cancelled stream from a microtask. Any customer could trigger it at will. Reproduced here with
// the default 10 MiB limit through a real HTTP server and Next's own request adapter.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-att-over-"));
const MAX = 10 * 1024 * 1024; // the default limit, with which the report was made
let w: World;
let server: http.Server;
let base: string;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir, ATTACHMENT_MAX_BYTES: String(MAX) });
  w = await createWorld();
  server = http.createServer((req, res) => {
    const request = NextRequestAdapter.fromNodeNextRequest(
      new NodeNextRequest(req as never),
      signalFromNodeResponse(res),
    );
    void ticketAttachments.POST(request).then(async (response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
});
afterEach(() => expect(uncaught.map(String)).toEqual([]));
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  setProcessEnv({ ATTACHMENT_MAX_BYTES: "" });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const BOUNDARY = "beacon-over-limit";
const HEAD = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`,
);
function multipart(fileBytes: number): Buffer {
  return Buffer.concat([HEAD, Buffer.alloc(fileBytes, "a"), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
}

/**
 * One upload over a fresh connection; resolves with the status once the reply has ended. The
 * body goes in two writes: up to the first byte over the limit, then (after a pause) the rest,
 * so the server refuses the upload while the end of the body is still on its way.
 */
function upload(ticketId: string, body: Buffer, chunked: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/api/v1/tickets/${ticketId}/attachments`,
      {
        method: "POST",
        agent: false,
        headers: {
          cookie: w.customer.cookie,
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
          ...(chunked ? {} : { "content-length": body.length }),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      },
    );
    req.on("error", reject);
    const cut = Math.min(HEAD.length + MAX + 1, body.length);
    req.write(body.subarray(0, cut));
    setTimeout(() => req.end(body.subarray(cut)), 30);
  });
}

/** Lets queued microtasks and timers of the torn-down streams run, where the error surfaced. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("an upload just over the limit", () => {
  it("1 to 1,000 bytes over: 413 each time, and no uncaught exception or unhandled rejection", async () => {
    const t = await newTicket(w.customer);
    for (const over of [1, 2, 7, 100, 500, 999, 1_000]) {
      for (const chunked of [false, true]) {
        expect(await upload(t.id, multipart(MAX + over), chunked), `${over} bytes over, chunked=${chunked}`).toBe(413);
        await settle();
      }
    }
  });

  it("exactly at the limit is still stored (201)", async () => {
    const t = await newTicket(w.customer);
    expect(await upload(t.id, multipart(MAX), false)).toBe(201);
    await settle();
  });

  it("far over the limit (a megabyte more): 413, no uncaught error", async () => {
    const t = await newTicket(w.customer);
    expect(await upload(t.id, multipart(MAX + 1024 * 1024), false)).toBe(413);
    await settle();
  });
});
