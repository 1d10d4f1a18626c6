import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Folder-level import cycles in src/server (issue 15 item 1): there are none, and this test keeps it
// so. The domain reads bottom-up: orgs < auth < ticket-model (a ticket's row and visibility) <
// attachments, csat < email (mail in and out, templates) < automation < tickets (the writes, which
// run triggers and queue mail) < intake (a stored message becomes a ticket or reply) < provisioning
// (a new org with its first admin and default rules); notifications sit above email.

const ROOT = path.resolve(import.meta.dirname, "../../src/server");

function folderOf(rel: string): string {
  return rel.includes("/") ? rel.split("/")[0]! : "(root)";
}

/** Folder → folders it imports at run time (type-only imports are left out: they vanish on build). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) {
        const from = folderOf(path.relative(ROOT, p));
        const src = fs.readFileSync(p, "utf8");
        const re =
          /^import\s+(type\s+)?[^;]*?from\s+"([^"]+)"|^export\s+[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/gms;
        for (const m of src.matchAll(re)) {
          if (m[1]) continue;
          const spec = m[2] ?? m[3] ?? m[4]!;
          let target: string;
          if (spec.startsWith("@/server/")) target = spec.slice("@/server/".length);
          else if (spec.startsWith(".")) {
            target = path.relative(ROOT, path.resolve(path.dirname(p), spec));
            if (target.startsWith("..")) continue;
          } else continue;
          const to = folderOf(target);
          if (to !== from) (graph.get(from) ?? graph.set(from, new Set()).get(from)!).add(to);
        }
      }
    }
  };
  walk(ROOT);
  return graph;
}

/** Strongly connected components with more than one folder (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => b.length - a.length);
}

describe("folder cycles in src/server", () => {
  const found = cycles(folderGraph());

  it("finds none", () => {
    expect(found).toEqual([]);
  });

  it("sees a cycle when one is there (the check can fail)", () => {
    const g = new Map([
      ["core", new Set(["db"])],
      ["db", new Set(["core"])],
      ["tickets", new Set(["core"])],
    ]);
    expect(cycles(g)).toEqual([["core", "db"]]);
  });
});
