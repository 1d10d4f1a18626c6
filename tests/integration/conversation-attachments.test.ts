import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as ticketAttachmentsRoute, apiRoute as attachmentRoute } from "../helpers/http";
import { apiRoute as flagsRoute } from "../helpers/http";
import {
  attachmentUploadLimit,
  conversationAttachments,
  MAX_CONVERSATION_ATTACHMENTS,
  type ConversationAttachments,
} from "../../src/server/attachments/conversation-attachments";
import { withPageContext } from "../../src/server/auth/page-context";
import type { PageUser } from "../../src/server/auth/page-session";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { AppError } from "../../src/server/core/errors";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type Actor, type World } from "../helpers/world";

// What the ticket page gets about files (src/server/attachments/conversation-attachments.ts):
// through the page context, for each role, across orgs, and with the feature switched off.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-conv-att-"));
let w: World, other: World;

function pageUser(world: World, a: Actor): PageUser {
  return {
    userId: a.id,
    orgId: a.orgId,
    role: a.role,
    email: a.email,
    name: a.email,
    mustChangePassword: false,
    sessionVersion: a.sessionVersion,
    via: "session",
    org: { id: world.org.id, name: world.org.name, slug: world.org.slug },
  };
}
const filesAs = (world: World, a: Actor, ticketId: string): Promise<ConversationAttachments> =>
  withPageContext(pageUser(world, a), (ctx) => conversationAttachments(ctx, ticketId));

async function upload(who: Actor, ticketId: string, name: string, data: string, commentId?: string): Promise<string> {
  const form = new FormData();
  if (commentId) form.append("commentId", commentId);
  form.append("file", new Blob([data]), name);
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
    body: form,
  });
  const res = await ticketAttachmentsRoute.POST(req);
  const body = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`upload ${name}: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

async function download(who: Actor, id: string): Promise<{ status: number; text: string }> {
  const req = new Request(`http://localhost/api/v1/attachments/${id}`, {
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
  });
  const res = await attachmentRoute.GET(req);
  return { status: res.status, text: await res.text() };
}

async function commentId(who: Actor, ticketId: string, body: unknown): Promise<string> {
  const r = await api.addComment(who, ticketId, body);
  expect(r.status).toBe(201);
  return (r.body as { id: string }).id;
}

const limitAs = (world: World, a: Actor): Promise<number | null> =>
  withPageContext(pageUser(world, a), (ctx) => attachmentUploadLimit(ctx));
const ids = (f: ConversationAttachments) => (f.enabled ? f.data.map((a) => a.id) : []);

let ticket: { id: string };
const file: Record<"customer" | "reply" | "note" | "ticket", string> = {
  customer: "",
  reply: "",
  note: "",
  ticket: "",
};
const comment: Record<"first" | "reply" | "note", string> = { first: "", reply: "", note: "" };

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  ticket = await newTicket(w.customer);
  const first = await api.listComments(w.customer, ticket.id);
  comment.first = (first.body as { data: { id: string }[] }).data[0]!.id;
  comment.reply = await commentId(w.agent, ticket.id, { body: "Try this driver." });
  comment.note = await commentId(w.agent, ticket.id, { body: "Customer is on the legacy plan.", internal: true });
  file.customer = await upload(w.customer, ticket.id, "error-log.txt", "paper jam at tray 2\n", comment.first);
  file.reply = await upload(w.agent, ticket.id, "driver-notes.md", "# Driver 4.2\n", comment.reply);
  file.note = await upload(w.agent, ticket.id, "contract.txt", "legacy plan, renewal in May\n", comment.note);
  file.ticket = await upload(w.admin, ticket.id, "inventory.csv", "printer,tray\nLJ4,2\n");
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
afterEach(() => setProcessEnv({ FEATURES_DISABLED: "", ATTACHMENT_MAX_BYTES: String(10 * 1024 * 1024) }));

describe("conversationAttachments and attachmentUploadLimit", () => {
  it("agents and admins get every file of the ticket, oldest first, each tied to its message; the note's marked internal", async () => {
    for (const who of [w.agent, w.agent2, w.admin]) {
      const f = await filesAs(w, who, ticket.id);
      if (!f.enabled) throw new Error("attachments should be on");
      expect(f.maxBytes).toBe(10 * 1024 * 1024);
      expect(f.truncated).toBe(false);
      expect(ids(f)).toEqual([file.customer, file.reply, file.note, file.ticket]);
      const byId = new Map(f.data.map((a) => [a.id, a]));
      expect(byId.get(file.customer)).toMatchObject({
        commentId: comment.first,
        filename: "error-log.txt",
        internal: false,
        url: `/api/v1/attachments/${file.customer}`,
      });
      expect(byId.get(file.reply)).toMatchObject({
        commentId: comment.reply,
        internal: false,
        contentType: "text/markdown; charset=utf-8",
      });
      expect(byId.get(file.note)).toMatchObject({ commentId: comment.note, internal: true });
      expect(byId.get(file.ticket)).toMatchObject({
        commentId: null,
        internal: false,
        sizeBytes: Buffer.byteLength("printer,tray\nLJ4,2\n"),
      });
    }
  });

  it("the requester gets every file except the internal note's, and cannot download that one either", async () => {
    const f = await filesAs(w, w.customer, ticket.id);
    expect(ids(f)).toEqual([file.customer, file.reply, file.ticket]);
    expect(JSON.stringify(f)).not.toContain("contract.txt");
    expect(JSON.stringify(f)).not.toContain(comment.note);
    expect(await download(w.customer, file.note)).toMatchObject({ status: 404 });
    expect(await download(w.customer, file.reply)).toEqual({ status: 200, text: "# Driver 4.2\n" });
    // Staff download the note's file.
    expect(await download(w.agent, file.note)).toEqual({ status: 200, text: "legacy plan, renewal in May\n" });
  });

  it("another customer of the org and every role of another org get not found, and cannot download any of the files", async () => {
    for (const [world, who] of [
      [w, w.customer2],
      [other, other.customer],
      [other, other.agent],
      [other, other.admin],
    ] as const) {
      const err = await filesAs(world, who, ticket.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("not_found");
      for (const id of Object.values(file)) expect((await download(who, id)).status).toBe(404);
    }
  });

  it("with the feature off for the org, the pages get nothing (no list, no upload) and other orgs are unaffected", async () => {
    const off = await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
      cookie: w.admin.cookie,
      body: { key: "attachments", enabled: false },
    });
    expect(off.status).toBe(200);
    try {
      for (const who of [w.agent, w.customer]) {
        expect(await filesAs(w, who, ticket.id)).toEqual({ enabled: false });
        // The new-ticket form offers no file input either.
        expect(await limitAs(w, who)).toBeNull();
      }
      expect(await limitAs(other, other.customer)).toBe(10 * 1024 * 1024);
      const theirs = await newTicket(other.customer);
      const id = await upload(other.customer, theirs.id, "theirs.txt", "other org\n");
      expect(ids(await filesAs(other, other.agent, theirs.id))).toEqual([id]);
    } finally {
      const back = await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
        cookie: w.admin.cookie,
        body: { key: "attachments", enabled: null },
      });
      expect(back.status).toBe(200);
    }
    expect(ids(await filesAs(w, w.agent, ticket.id))).toHaveLength(4);
  });

  it("FEATURES_DISABLED=attachments turns it off everywhere; the limit offered is ATTACHMENT_MAX_BYTES", async () => {
    setProcessEnv({ FEATURES_DISABLED: "attachments" });
    expect(await filesAs(w, w.agent, ticket.id)).toEqual({ enabled: false });
    expect(await limitAs(other, other.customer)).toBeNull();
    setProcessEnv({ FEATURES_DISABLED: "", ATTACHMENT_MAX_BYTES: "12345" });
    expect(await filesAs(w, w.agent, ticket.id)).toMatchObject({ enabled: true, maxBytes: 12345 });
    expect(await limitAs(w, w.customer)).toBe(12345);
  });

  it("reads past the API's page of 100, and stops at the cap on a ticket with more", async () => {
    const many = await newTicket(w.customer);
    const insert = (ticketId: string, n: number) =>
      unsafeWithSystem((tx) =>
        tx.execute(sql`insert into attachments (org_id, ticket_id, uploader_id, filename, content_type, size_bytes, sha256, storage_key, created_at)
          select ${w.org.id}, ${ticketId}, ${w.customer.id}, 'f' || g || '.txt', 'text/plain; charset=utf-8', 1, repeat('0', 64),
                 'org/' || ${w.org.id} || '/' || gen_random_uuid(), now() - make_interval(secs => ${n} - g)
            from generate_series(1, ${n}) g`),
      );
    await insert(many.id, 250);
    const f = await filesAs(w, w.customer, many.id);
    if (!f.enabled) throw new Error("attachments should be on");
    expect(f.data.map((a) => a.filename)).toEqual(Array.from({ length: 250 }, (_, i) => `f${i + 1}.txt`));
    expect(f.truncated).toBe(false);

    const huge = await newTicket(w.customer);
    await insert(huge.id, MAX_CONVERSATION_ATTACHMENTS + 50);
    const g = await filesAs(w, w.agent, huge.id);
    if (!g.enabled) throw new Error("attachments should be on");
    expect(g.data).toHaveLength(MAX_CONVERSATION_ATTACHMENTS);
    expect(g.truncated).toBe(true);
    expect(g.data[0]!.filename).toBe("f1.txt");
  });
});
