// Audit verification in parallel ranges (docs/decisions/048): each range is verified in its own
// worker thread and transaction, with a link check at its start. A break inside a range, one at
// exactly a range's first event (the link), one at a range's last event, and a missing event at a
// boundary must all be found at the same seq as the single walk finds them.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { recordAudit } from "../../src/server/audit/record-audit";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { combineRanges, splitRanges, verifyChainParallel } from "../../src/server/audit/verify-parallel";
import { createOrg, type TestOrg } from "../helpers/factories";

const EVENTS = 30;
let org: TestOrg;

const single = () => withTenant(org.id, (tx) => verifyChain(tx, org.id));
// Three ranges of 10: [1, 10], [11, 20], [21, end].
const parallel = () => verifyChainParallel(org.id, { parts: 3, minEventsPerRange: 1 });
const tamper = (seq: number, how: "data" | "prev" = "data") =>
  unsafeWithSystem((tx) =>
    how === "data"
      ? tx.execute(
          sql`update audit_events set data = jsonb_set(data, '{i}', '-1') where org_id = ${org.id} and seq = ${seq}`,
        )
      : tx.execute(sql`update audit_events set prev_hash = repeat('f', 64) where org_id = ${org.id} and seq = ${seq}`),
  );
const restore = (seq: number) =>
  unsafeWithSystem((tx) =>
    tx.execute(
      sql`update audit_events set data = jsonb_set(data, '{i}', to_jsonb(${seq - 1}::int)) where org_id = ${org.id} and seq = ${seq}`,
    ),
  );

beforeAll(async () => {
  org = await createOrg();
  await withTenant(org.id, async (tx) => {
    for (let i = 0; i < EVENTS; i++) {
      await recordAudit(
        tx,
        { orgId: org.id, actorId: null, requestId: null },
        { action: "test.event", entityType: "test", entityId: String(i), data: { i, z: [i, "x"], a: { b: null } } },
      );
    }
  });
});

describe("splitRanges and combineRanges", () => {
  it("cover 1…last without gaps or overlaps, the last range open-ended", () => {
    expect(splitRanges(30, 3)).toEqual([
      [1, 10],
      [11, 20],
      [21, null],
    ]);
    expect(splitRanges(31, 3)).toEqual([
      [1, 11],
      [12, 22],
      [23, null],
    ]);
    expect(splitRanges(2, 8)).toEqual([
      [1, 1],
      [2, null],
    ]);
    expect(splitRanges(5, 1)).toEqual([[1, null]]);
  });

  it("report the earliest break and the events before it", () => {
    const ok = { valid: true, checked: 10, firstBrokenSeq: null };
    expect(combineRanges([ok, ok, ok])).toEqual({ valid: true, checked: 30, firstBrokenSeq: null });
    expect(
      combineRanges([
        ok,
        { valid: false, checked: 3, firstBrokenSeq: 14 },
        { valid: false, checked: 0, firstBrokenSeq: 21 },
      ]),
    ).toEqual({
      valid: false,
      checked: 13,
      firstBrokenSeq: 14,
    });
  });
});

// Each parallel verification starts three worker threads that load the sources through tsx:
// seconds on a loaded machine, hence the long timeout.
describe("verifyChainParallel", { timeout: 180_000 }, () => {
  it("agrees with the single walk on a valid chain, in three ranges", async () => {
    expect(await single()).toEqual({ valid: true, checked: EVENTS, firstBrokenSeq: null });
    expect(await parallel()).toEqual({ valid: true, checked: EVENTS, firstBrokenSeq: null, ranges: 3 });
  });

  // 15: inside the second range; 11: a range's first event (its link to 10 is checked by the
  // second range, its hash too); 10: a range's last event (the first range recomputes its hash,
  // and the second range's link check compares 11's prevHash with 10's stored hash).
  for (const seq of [15, 11, 10, EVENTS]) {
    it(`finds edited data at seq ${seq}, as the single walk does`, async () => {
      await tamper(seq);
      try {
        const expected = { valid: false, checked: seq - 1, firstBrokenSeq: seq };
        expect(await single()).toEqual(expected);
        expect(await parallel()).toEqual({ ...expected, ranges: 3 });
      } finally {
        await restore(seq);
      }
      expect((await parallel()).valid).toBe(true);
    });
  }

  it("finds a broken link exactly at a range boundary (prevHash of a range's first event)", async () => {
    const old = await unsafeWithSystem((tx) =>
      tx.execute<{ p: string }>(sql`select prev_hash as p from audit_events where org_id = ${org.id} and seq = 21`),
    );
    await tamper(21, "prev");
    try {
      expect(await single()).toEqual({ valid: false, checked: 20, firstBrokenSeq: 21 });
      expect(await parallel()).toEqual({ valid: false, checked: 20, firstBrokenSeq: 21, ranges: 3 });
    } finally {
      await unsafeWithSystem((tx) =>
        tx.execute(sql`update audit_events set prev_hash = ${old.rows[0]!.p} where org_id = ${org.id} and seq = 21`),
      );
    }
  });

  it("finds an event deleted at a range's end and one at a range's start", async () => {
    const other = await createOrg();
    await withTenant(other.id, async (tx) => {
      for (let i = 0; i < EVENTS; i++)
        await recordAudit(
          tx,
          { orgId: other.id, actorId: null, requestId: null },
          { action: "test.event", entityType: "test", entityId: String(i), data: { i } },
        );
    });
    const both = async () => [
      await withTenant(other.id, (tx) => verifyChain(tx, other.id)),
      await verifyChainParallel(other.id, { parts: 3, minEventsPerRange: 1 }),
    ];
    await unsafeWithSystem((tx) => tx.execute(sql`delete from audit_events where org_id = ${other.id} and seq = 20`));
    expect(await both()).toEqual([
      { valid: false, checked: 19, firstBrokenSeq: 20 },
      { valid: false, checked: 19, firstBrokenSeq: 20, ranges: 3 },
    ]);
    await unsafeWithSystem((tx) => tx.execute(sql`delete from audit_events where org_id = ${other.id} and seq = 11`));
    expect(await both()).toEqual([
      { valid: false, checked: 10, firstBrokenSeq: 11 },
      { valid: false, checked: 10, firstBrokenSeq: 11, ranges: 3 },
    ]);
  });

  it("walks a short chain in one range, and reads only its own org", async () => {
    expect(await verifyChainParallel(org.id)).toMatchObject({ valid: true, checked: EVENTS, ranges: 1 });
    const empty = await createOrg();
    expect(await verifyChainParallel(empty.id, { parts: 3, minEventsPerRange: 1 })).toEqual({
      valid: true,
      checked: 0,
      firstBrokenSeq: null,
      ranges: 1,
    });
  });
});
