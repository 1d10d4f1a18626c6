import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as hooks, apiRoute as hook } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { webhooks } from "../../src/server/db/schema/notifications";
import { setProcessEnv } from "../../src/server/env";
import { QUEUES } from "../../src/server/jobs/queues";
import { startWorker } from "../../src/server/worker/worker";
import { handleNotify } from "../../src/server/notifications/notify";
import { handleWebhook } from "../../src/server/notifications/webhook-delivery";
import { guardedLookup, OutboundRefusedError, setOutboundResolverForTests } from "../../src/server/outbound/guard";
import { newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { jobsIn, waitFor } from "../helpers/jobs";
import { hostileUrls, testResolver } from "../helpers/outbound-corpus";
import { createWorld, type World } from "../helpers/world";

// The outbound guard (decision 021) against a real loopback listener: whatever the guard refuses
// must never open a connection to it. vitest.config.ts allows loopback for the other test files;
// this file clears that allow list and sets it back only where a test says so.

type Listener = {
  port: number;
  connections: () => number;
  requests: string[];
  reset: () => void;
  close: () => Promise<void>;
};

async function startListener(
  host: string,
  port = 0,
  status = 204,
  headers: Record<string, string> = {},
): Promise<Listener> {
  let connections = 0;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => res.writeHead(status, headers).end());
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    requests,
    reset: () => {
      connections = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let w: World, other: World;
let v4: Listener;
let v6: Listener | undefined;
const reached = () => v4.connections() + (v6?.connections() ?? 0);
const as = (who: { cookie: string }, o: Record<string, unknown> = {}) => ({ cookie: who.cookie, ...o });

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  v4 = await startListener("127.0.0.1");
  // The same port on ::1 too, so [::1] URLs would also be seen arriving (skipped where IPv6 is off).
  v6 = await startListener("::1", v4.port).catch(() => undefined);
  setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "" });
  setOutboundResolverForTests(testResolver);
});
afterEach(() => {
  v4.reset();
  v6?.reset();
  setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "" });
  setOutboundResolverForTests(testResolver);
});
afterAll(async () => {
  setOutboundResolverForTests(undefined);
  await v4.close();
  await v6?.close();
});

/** One breach notification → one delivery row per active sla.breach webhook of the org. */
async function deliveriesFor(world: World): Promise<{ id: string; url: string }[]> {
  const t = await newTicket(world.customer, { subject: "Outbound guard probe" });
  await handleNotify({
    orgId: world.org.id,
    kind: "sla.breach",
    ticketId: t.id,
    metric: "resolution",
    dueAt: new Date().toISOString(),
  });
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string; url: string }>(
      sql`select d.id, h.url from webhook_deliveries d join webhooks h on h.id = d.webhook_id where d.payload->'ticket'->>'id' = ${t.id}`,
    ),
  );
  return r.rows;
}

async function deliveryRow(id: string) {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ status: string; attempts: number; last_error: string | null }>(
      sql`select status::text, attempts, last_error from webhook_deliveries where id = ${id}`,
    ),
  );
  return r.rows[0]!;
}

const clearHooks = (world: World) =>
  unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${world.org.id}`));

describe("saving a webhook URL", () => {
  const corpus = hostileUrls(0);

  it("the corpus is big enough and every URL in it parses", () => {
    expect(new Set(hostileUrls(1)).size).toBeGreaterThanOrEqual(40);
    for (const u of hostileUrls(1)) expect(() => new URL(u), u).not.toThrow();
  });

  it("refuses every hostile URL on create with 400 naming the field url and why; nothing is stored", async () => {
    for (const url of hostileUrls(v4.port)) {
      const r = await call(
        hooks.POST,
        "POST",
        "/api/v1/webhooks",
        as(w.admin, { body: { url, events: ["sla.breach"] } }),
      );
      expect(r.status, url).toBe(400);
      expect(r.body.error.code, url).toBe("validation_failed");
      expect(r.body.error.details.issues, url).toEqual([
        expect.objectContaining({ path: "url", message: expect.stringMatching(/private address|without credentials/) }),
      ]);
    }
    const n = await unsafeWithSystem((tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from webhooks where org_id = ${w.org.id}`),
    );
    expect(n.rows[0]!.n).toBe(0);
    expect(reached()).toBe(0);
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it("says which address a name resolved to", async () => {
    const r = await call(
      hooks.POST,
      "POST",
      "/api/v1/webhooks",
      as(w.admin, { body: { url: "http://metadata.beacon-test.example/x", events: ["sla.breach"] } }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.details.issues[0].message).toBe(
      "metadata.beacon-test.example resolves to a private address (169.254.169.254 is link-local)",
    );
    const lit = await call(
      hooks.POST,
      "POST",
      "/api/v1/webhooks",
      as(w.admin, { body: { url: "http://0x7f.1/", events: ["sla.breach"] } }),
    );
    expect(lit.body.error.details.issues[0].message).toBe("127.0.0.1 is a private address (loopback)");
  });

  it("refuses every hostile URL on update; the stored URL stays as it was", async () => {
    const created = await call(
      hooks.POST,
      "POST",
      "/api/v1/webhooks",
      as(w.admin, { body: { url: "https://public.beacon-test.example/hook", events: ["sla.breach"] } }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    try {
      for (const url of hostileUrls(v4.port)) {
        const r = await call(
          hook.PATCH,
          "PATCH",
          `/api/v1/webhooks/${id}`,
          as(w.admin, { params: { id }, body: { url } }),
        );
        expect(r.status, url).toBe(400);
        expect(r.body.error.details.issues[0].path, url).toBe("url");
      }
      const [row] = await unsafeWithSystem((tx) =>
        tx
          .select({ url: webhooks.url })
          .from(webhooks)
          .where(sql`${webhooks.id} = ${id}`),
      );
      expect(row!.url).toBe("https://public.beacon-test.example/hook");
      // Another org's admin learns nothing about this webhook either way.
      const cross = await call(
        hook.PATCH,
        "PATCH",
        `/api/v1/webhooks/${id}`,
        as(other.admin, { params: { id }, body: { url: "https://public.beacon-test.example/other" } }),
      );
      expect(cross.status).toBe(404);
    } finally {
      await clearHooks(w);
    }
  });

  it("accepts a public address, and a name that does not resolve yet (it is checked again at delivery)", async () => {
    try {
      for (const url of [
        "https://93.184.216.34/hook",
        "https://[2606:4700::1111]/hook",
        "https://public.beacon-test.example/hook",
        "https://not-there.beacon-test.example/hook",
      ]) {
        const r = await call(
          hooks.POST,
          "POST",
          "/api/v1/webhooks",
          as(w.admin, { body: { url, events: ["sla.breach"] } }),
        );
        expect(r.status, url).toBe(201);
      }
    } finally {
      await clearHooks(w);
    }
  });
});

describe("delivering to a webhook URL", () => {
  it("refuses every hostile URL at delivery (saved before the guard existed): dead at once, attempt recorded, nothing reached", async () => {
    const corpus = hostileUrls(v4.port);
    await unsafeWithSystem((tx) =>
      tx
        .insert(webhooks)
        .values(
          corpus.map((url) => ({ orgId: w.org.id, url, secret: "whsec_test_0123456789", events: ["sla.breach"] })),
        ),
    );
    try {
      const ds = await deliveriesFor(w);
      expect(ds).toHaveLength(corpus.length);
      for (const d of ds) {
        expect(await handleWebhook({ orgId: w.org.id, deliveryId: d.id }), d.url).toBe("refused");
        const row = await deliveryRow(d.id);
        expect(row, d.url).toMatchObject({ status: "dead", attempts: 1 });
        expect(row.last_error, d.url).toMatch(/^refused: /);
        // A second run of the same job sends nothing either.
        expect(await handleWebhook({ orgId: w.org.id, deliveryId: d.id })).toBe("skipped");
      }
      expect(reached()).toBe(0);
      expect(v4.requests).toEqual([]);
    } finally {
      await clearHooks(w);
    }
  });

  it("DNS rebinding: a name that was public when saved and loopback when delivering is refused at delivery", async () => {
    let asked = 0;
    setOutboundResolverForTests(async (hostname) => {
      if (hostname !== "rebind.beacon-test.example") return testResolver(hostname);
      asked++;
      return [{ address: asked === 1 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
    });
    try {
      const created = await call(
        hooks.POST,
        "POST",
        "/api/v1/webhooks",
        as(w.admin, { body: { url: `http://rebind.beacon-test.example:${v4.port}/hook`, events: ["sla.breach"] } }),
      );
      expect(created.status).toBe(201);
      const [d] = await deliveriesFor(w);
      expect(await handleWebhook({ orgId: w.org.id, deliveryId: d!.id })).toBe("refused");
      expect(asked).toBe(2);
      expect(await deliveryRow(d!.id)).toMatchObject({
        status: "dead",
        attempts: 1,
        last_error: "refused: rebind.beacon-test.example resolves to a private address (127.0.0.1 is loopback)",
      });
      expect(reached()).toBe(0);
    } finally {
      await clearHooks(w);
    }
  });

  it("OUTBOUND_ALLOW_PRIVATE=127.0.0.0/8 lets a loopback receiver be saved and reached; ::1 stays refused", async () => {
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8" });
    try {
      for (const url of [`http://127.0.0.1:${v4.port}/hook`, `http://loopback.beacon-test.example:${v4.port}/named`]) {
        const r = await call(
          hooks.POST,
          "POST",
          "/api/v1/webhooks",
          as(w.admin, { body: { url, events: ["sla.breach"] } }),
        );
        expect(r.status, url).toBe(201);
      }
      expect(
        (
          await call(
            hooks.POST,
            "POST",
            "/api/v1/webhooks",
            as(w.admin, { body: { url: `http://[::1]:${v4.port}/`, events: ["sla.breach"] } }),
          )
        ).status,
      ).toBe(400);
      expect(
        (
          await call(
            hooks.POST,
            "POST",
            "/api/v1/webhooks",
            as(w.admin, { body: { url: "http://10.0.0.1/", events: ["sla.breach"] } }),
          )
        ).status,
      ).toBe(400);
      const ds = await deliveriesFor(w);
      expect(ds).toHaveLength(2);
      for (const d of ds) expect(await handleWebhook({ orgId: w.org.id, deliveryId: d.id })).toBe("delivered");
      expect(v4.requests.sort()).toEqual(["POST /hook", "POST /named"]);
    } finally {
      await clearHooks(w);
    }
  });

  it("does not follow a redirect, even to an allowed address", async () => {
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8" });
    const redirector = await startListener("127.0.0.1", 0, 302, { location: `http://127.0.0.1:${v4.port}/followed` });
    try {
      await unsafeWithSystem((tx) =>
        tx.insert(webhooks).values({
          orgId: w.org.id,
          url: `http://127.0.0.1:${redirector.port}/hook`,
          secret: "whsec_test_0123456789",
          events: ["sla.breach"],
        }),
      );
      const [d] = await deliveriesFor(w);
      await expect(handleWebhook({ orgId: w.org.id, deliveryId: d!.id })).rejects.toThrow("HTTP 302");
      expect(redirector.requests).toEqual(["POST /hook"]);
      expect(v4.requests).toEqual([]);
      expect(await deliveryRow(d!.id)).toMatchObject({ status: "failed", attempts: 1, last_error: "HTTP 302" });
    } finally {
      await redirector.close();
      await clearHooks(w);
    }
  });

  it("the worker does not retry a refused delivery: the job completes once and the delivery is dead", async () => {
    await unsafeWithSystem((tx) =>
      tx.insert(webhooks).values({
        orgId: w.org.id,
        url: `http://2130706433:${v4.port}/hook`,
        secret: "whsec_test_0123456789",
        events: ["sla.breach"],
      }),
    );
    const worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
    try {
      const [d] = await deliveriesFor(w);
      const job = await waitFor("completed webhook job", async () =>
        (await jobsIn(QUEUES.webhook.name, { deliveryId: d!.id })).find((j) => j.state === "completed"),
      );
      expect(job.retry_count).toBe(0);
      expect(await deliveryRow(d!.id)).toMatchObject({
        status: "dead",
        attempts: 1,
        last_error: "refused: 127.0.0.1 is a private address (loopback)",
      });
      expect(reached()).toBe(0);
    } finally {
      await worker.stop();
      await clearHooks(w);
    }
  });
});

describe("guardedLookup for raw sockets (IMAP/SMTP hosts)", () => {
  const connect = (host: string, port: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host, port, lookup: guardedLookup });
      s.once("connect", () => (s.destroy(), resolve()));
      s.once("error", reject);
    });

  it("refuses names and numeric forms that lead to loopback; nothing connects", async () => {
    for (const host of [
      "localhost",
      "loopback.beacon-test.example",
      "mapped.beacon-test.example",
      "2130706433",
      "0x7f.1",
      "017700000001",
    ]) {
      await expect(connect(host, v4.port), host).rejects.toBeInstanceOf(OutboundRefusedError);
    }
    expect(reached()).toBe(0);
  });

  it("connects to an allowed range", async () => {
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8" });
    await connect("loopback.beacon-test.example", v4.port);
    expect(v4.connections()).toBe(1);
  });
});
