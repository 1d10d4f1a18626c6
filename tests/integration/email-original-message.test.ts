import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { openApiDocument } from "../../src/server/api/openapi";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { createSupportAddress, sendRaw } from "../helpers/email";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// The original message for agents (decision 039): staff download the exact bytes an email comment
// came in as; customers and other orgs are refused; a comment typed on the web has none.

let rx: RunningSmtpReceiver;
let A: World;
let B: World;
beforeAll(async () => {
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});
afterAll(async () => {
  await rx?.close();
});

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;

async function download(cookie: string, path: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await apiRoute.GET(
    new Request(`http://localhost${path}`, { headers: { cookie, "x-forwarded-for": "127.0.0.1" } }),
  );
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe("GET /api/v1/tickets/{id}/comments/{commentId}/original", () => {
  it("staff get the exact bytes received; a customer and another org are refused; a web comment is 404", async () => {
    const support = await createSupportAddress(A.org);
    // 8-bit Latin-1 and odd header folding: any re-encoding would change these bytes.
    const raw = Buffer.concat([
      Buffer.from(
        [
          `From: ${A.customer.email}`,
          `To: ${support}`,
          "Subject: Caf\u00e9 order",
          "X-Odd:  spaced\r\n\tfolded",
          `Message-ID: <orig-${randomBytes(4).toString("hex")}@c.test>`,
          "Content-Type: text/plain; charset=iso-8859-1",
          "Content-Transfer-Encoding: 8bit",
          "",
          "",
        ].join("\r\n"),
        "utf8",
      ),
      Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x0d, 0x0a]),
    ]);
    const r = await sendRaw(rx.port, { from: A.customer.email, to: [support] }, raw);
    const inboundId = /Accepted (\S+)/.exec(r.response)![1]!;
    const applied = await applyInbound({ orgId: A.org.id, inboundId });
    expect(applied.outcome).toBe("ticket");
    const [stored] = await q<{ raw: Buffer; number: number }>(
      sql`select m.raw, t.number from inbound_messages m join tickets t on t.id = m.ticket_id where m.id = ${inboundId}`,
    );
    const path = `/api/v1/tickets/${applied.ticketId}/comments/${applied.commentId}/original`;

    for (const who of [A.agent, A.admin]) {
      const got = await download(who.cookie, path);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(stored!.raw)).toBe(true);
      expect(got.bytes.includes(Buffer.from([0x43, 0x61, 0x66, 0xe9]))).toBe(true);
      expect(got.headers.get("content-type")).toBe("message/rfc822");
      expect(got.headers.get("content-disposition")).toBe(
        `attachment; filename="${stored!.number}-${applied.commentId!.slice(0, 8)}.eml"`,
      );
      expect(got.headers.get("x-content-type-options")).toBe("nosniff");
      expect(got.headers.get("cache-control")).toMatch(/no-store/);
    }

    // The customer who sent it may not download it (staff only: it holds every recipient).
    const asCustomer = await download(A.customer.cookie, path);
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.bytes.includes(Buffer.from("From:"))).toBe(false);
    // Another org's staff: 404, nothing said.
    const other = await call(apiRoute.GET, "GET", path, { cookie: B.agent.cookie });
    expect(other.status).toBe(404);
    // A comment typed on the web has no original: 404.
    const web = await call(apiRoute.POST, "POST", `/api/v1/tickets/${applied.ticketId}/comments`, {
      cookie: A.agent.cookie,
      body: { body: "On it.", internal: false },
    });
    expect(web.status, web.text).toBe(201);
    const webOriginal = await call(
      apiRoute.GET,
      "GET",
      `/api/v1/tickets/${applied.ticketId}/comments/${web.body.id}/original`,
      { cookie: A.agent.cookie },
    );
    expect(webOriginal.status).toBe(404);
    expect(webOriginal.body.error.code).toBe("not_found");
    // Not UUIDs: 400, never a 500.
    expect(
      (
        await call(apiRoute.GET, "GET", `/api/v1/tickets/${applied.ticketId}/comments/nope/original`, {
          cookie: A.agent.cookie,
        })
      ).status,
    ).toBe(400);
  });
});

describe("the OpenAPI document", () => {
  it("lists the original message as a message/rfc822 download for staff", () => {
    const doc = openApiDocument() as {
      paths: Record<
        string,
        { get?: { "x-beacon-roles": string; responses: Record<string, { content?: Record<string, unknown> }> } }
      >;
    };
    const op = doc.paths["/api/v1/tickets/{id}/comments/{commentId}/original"]?.get;
    expect(op?.["x-beacon-roles"]).toBe("staff");
    expect(Object.keys(op?.responses["200"]?.content ?? {})).toEqual(["message/rfc822"]);
  });
});
