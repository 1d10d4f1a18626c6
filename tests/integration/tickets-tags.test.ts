import { beforeAll, describe, expect, it } from "vitest";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

// addTags / removeTags on PATCH /tickets/{id} (issue 20 "Lost updates", decision 043): applied to
// the tags as they are under the row lock, so two editors of one ticket's tags both keep theirs.

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const tagsOf = async (id: string) => (await api.getTicket(w.agent, id)).body.tags as string[];

describe("addTags and removeTags", () => {
  it("add to and remove from the current tags, normalized and sorted; the event records from and to", async () => {
    const t = await newTicket(w.agent, { tags: ["billing", "vip"] });
    const r = await api.patchTicket(w.agent, t.id, { addTags: ["Urgent", "billing"], removeTags: ["vip", "absent"] });
    expect(r.status, r.text).toBe(200);
    expect(r.body.tags).toEqual(["billing", "urgent"]);
    expect(await tagsOf(t.id)).toEqual(["billing", "urgent"]);
    const update = (await api.events(w.agent, t.id)).body.data.find(
      (e: { action: string }) => e.action === "ticket.updated",
    );
    expect((update!.data.changes as { tags: unknown }).tags).toEqual({
      from: ["billing", "vip"],
      to: ["billing", "urgent"],
    });
  });

  it("a concurrent pair of tag edits from the same read both survive (the whole-list tags would lose one)", async () => {
    for (let round = 0; round < 3; round++) {
      const t = await newTicket(w.agent, { tags: ["start"] });
      const [a, b] = await Promise.all([
        api.patchTicket(w.agent, t.id, { addTags: ["from-agent"] }),
        api.patchTicket(w.agent2, t.id, { addTags: ["from-rule"], removeTags: ["start"] }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(await tagsOf(t.id)).toEqual(["from-agent", "from-rule"]);
    }
  });

  it("cannot be combined with tags, nor add and remove one tag at once: 400 and nothing changes", async () => {
    const t = await newTicket(w.agent, { tags: ["keep"] });
    for (const body of [
      { tags: ["x"], addTags: ["y"] },
      { tags: ["x"], removeTags: ["keep"] },
      { addTags: ["a"], removeTags: ["a"] },
      { addTags: "a" },
      { addTags: ["bad tag!"] },
    ]) {
      const r = await api.patchTicket(w.agent, t.id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
    }
    expect(await tagsOf(t.id)).toEqual(["keep"]);
  });

  it("more than 20 tags after the change is 400 naming addTags", async () => {
    const t = await newTicket(w.agent, { tags: Array.from({ length: 15 }, (_, i) => `t${i}`) });
    const r = await api.patchTicket(w.agent, t.id, { addTags: Array.from({ length: 6 }, (_, i) => `n${i}`) });
    expect(r.status).toBe(400);
    expect(r.body.error.details.issues[0].path).toBe("addTags");
    expect(await tagsOf(t.id)).toHaveLength(15);
  });

  it("staff only: a customer gets 403 on their own ticket; another org's agent gets 404", async () => {
    const t = await newTicket(w.customer);
    const mine = await api.patchTicket(w.customer, t.id, { addTags: ["mine"] });
    expect(mine.status).toBe(403);
    expect((await api.patchTicket(w.customer, t.id, { removeTags: ["none"] })).status).toBe(403);
    expect((await api.patchTicket(other.agent, t.id, { addTags: ["theirs"] })).status).toBe(404);
    expect(await tagsOf(t.id)).toEqual([]);
  });

  it("removing a tag the ticket does not have changes nothing (no event, same version)", async () => {
    const t = await newTicket(w.agent, { tags: ["a"] });
    const before = (await api.getTicket(w.agent, t.id)).headers.get("etag");
    const r = await api.patchTicket(w.agent, t.id, { removeTags: ["b"] });
    expect(r.status).toBe(200);
    expect(r.headers.get("etag")).toBe(before);
    expect(
      (await api.events(w.agent, t.id)).body.data.filter((e: { action: string }) => e.action === "ticket.updated"),
    ).toHaveLength(0);
  });
});
