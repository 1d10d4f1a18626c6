// Summarizes a V8 CPU profile (.cpuprofile, as written by the inspector's Profiler.stop or
// node --cpu-prof): where the process spent its samples, by area (Next.js, React, pg, drizzle,
// zod, the app's bundle, GC, idle) and by function (self time). Time in V8 natives and in Node's
// own modules is charged to the nearest caller outside them (the writev that sends a query counts
// for the pg driver, the fs write of a log line for pino), named "writev ← submit (pg/lib/query.js)".

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] };
export type CpuProfile = {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
};

export type ProfileSummary = {
  /** Wall time covered by the profile, ms. */
  wallMs: number;
  /** Share of the wall time the thread was busy (not idle), %. */
  busyPct: number;
  /** Self time by area, % of busy time, largest first. */
  areas: { area: string; pct: number }[];
  /** Self time by function, % of busy time, largest first. */
  functions: { fn: string; area: string; pct: number }[];
};

const AREAS: [RegExp, string][] = [
  [/node_modules\/next\/dist\/compiled\/(react|react-dom|react-server-dom)/, "React (bundled with Next.js)"],
  [/node_modules\/next\/dist\/compiled\//, "Next.js compiled deps"],
  [/node_modules\/next\//, "Next.js server"],
  [/node_modules\/(pg|pg-protocol|pg-types|pg-pool|postgres-[a-z]+|pgpass)\//, "pg driver"],
  [/node_modules\/drizzle-orm\//, "drizzle-orm"],
  [/node_modules\/zod\//, "zod"],
  [
    /node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|thread-stream|quick-format-unescaped)\//,
    "pino logging",
  ],
  [/node_modules\/prom-client\//, "prom-client metrics"],
  [/node_modules\/rate-limiter-flexible\//, "rate limiter"],
  [/node_modules\/tsx\//, "tsx loader"],
  [/\.next\/server\/(chunks|app)\//, "app bundle (.next/server: src/ compiled, with bundled deps)"],
  [/\.next\/server\//, "Next.js server runtime (.next/server)"],
  [/^node:|^internal\//, "Node.js internals (http, net, streams, crypto …)"],
];

export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "garbage collector";
    if (functionName === "(idle)") return "(idle)";
    if (functionName === "(program)") return "V8/native (program)";
    if (functionName === "(root)") return "(root)";
    return "V8 builtins / native";
  }
  for (const [re, name] of AREAS) if (re.test(url)) return name;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (m) return `node_modules: ${m[1]}`;
  if (/\/src\//.test(url)) return "app source (src/)";
  if (/\/scripts\//.test(url)) return "scripts/";
  return "other";
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length);
  const j = url.indexOf(".next/");
  if (j >= 0) return url.slice(j);
  return url.replace(/^file:\/\/.*?\/(src|scripts)\//, "$1/");
}

/** Frames that do work on someone else's behalf: V8 natives (writev, JSON.stringify …) and node: internals. */
const isPlumbing = (f: CallFrame) => (!f.url && !f.functionName.startsWith("(")) || f.url.startsWith("node:");

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest caller that is neither native nor Node's own code: who the plumbing worked for. */
  const onBehalfOf = (id: number): CallFrame | null => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const f = byId.get(p)!.callFrame;
      if (f.url && !f.url.startsWith("node:")) return f;
    }
    return null;
  };
  // The profiler's own stop (serializing the profile) is not the load: drop node:inspector subtrees.
  const excluded = new Set<number>();
  const drop = (id: number) => {
    excluded.add(id);
    for (const c of byId.get(id)?.children ?? []) drop(c);
  };
  for (const n of profile.nodes) if (n.callFrame.url === "node:inspector" && !excluded.has(n.id)) drop(n.id);
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    // timeDeltas[i] is the time between sample i-1 and sample i: charge it to sample i.
    for (let i = 0; i < samples.length; i++)
      self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + Math.max(0, deltas[i] ?? 0));
  } else {
    for (const n of profile.nodes) self.set(n.id, n.hitCount ?? 0);
  }
  let idle = 0;
  let total = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, { area: string; t: number }>();
  for (const [id, t] of self) {
    const n = byId.get(id);
    if (!n || excluded.has(id)) continue;
    total += t;
    const f = n.callFrame;
    const caller = isPlumbing(f) ? onBehalfOf(id) : null;
    // Plumbing is charged to the area it worked for ("pg driver" for the writev that sends a query).
    const area = caller ? areaOf(caller) : areaOf(f);
    if (area === "(idle)" || area === "(root)") {
      idle += t;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + t);
    const name = f.url ? `${f.functionName || "(anonymous)"} (${shortUrl(f.url)}:${f.lineNumber + 1})` : f.functionName;
    const key = caller
      ? `${name} ← ${caller.functionName || "(anonymous)"} (${shortUrl(caller.url)}:${caller.lineNumber + 1})`
      : name;
    const e = fns.get(key) ?? { area, t: 0 };
    e.t += t;
    fns.set(key, e);
  }
  const busy = Math.max(1, total - idle);
  const pct = (t: number) => Math.round((1000 * t) / busy) / 10;
  return {
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyPct: total > 0 ? Math.round((1000 * (total - idle)) / total) / 10 : 0,
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, t]) => ({ area, pct: pct(t) })),
    functions: [...fns]
      .sort((a, b) => b[1].t - a[1].t)
      .slice(0, top)
      .map(([fn, e]) => ({ fn, area: e.area, pct: pct(e.t) })),
  };
}
