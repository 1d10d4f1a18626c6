// Every few seconds: how many notification jobs wait and how much the receivers accepted, so the
// report shows how the backlog grew and drained around each fault.
import pg from "pg";
import type { HookSink, MailSink } from "./receivers";

export type Sample = {
  t: number;
  notify: number;
  email: number;
  webhook: number;
  mail: number;
  hooks: number;
  dbDown: boolean;
};

export function startSampler(url: string, t0: number, mail: MailSink, hooks: HookSink, everyMs = 5_000) {
  const samples: Sample[] = [];
  let busy = false;
  const take = async () => {
    if (busy) return;
    busy = true;
    const s: Sample = {
      t: Date.now() - t0,
      notify: 0,
      email: 0,
      webhook: 0,
      mail: mail.accepted.length,
      hooks: hooks.hits.filter((h) => h.answered === 200).length,
      dbDown: false,
    };
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    c.on("error", () => undefined);
    try {
      await c.connect();
      const r = await c.query<{ name: string; n: number }>(
        `select name, count(*)::int as n from pgboss.job where name in ('notify', 'email', 'webhook') and state in ('created', 'retry', 'active') group by 1`,
      );
      for (const row of r.rows) s[row.name as "notify" | "email" | "webhook"] = row.n;
    } catch {
      s.dbDown = true;
    } finally {
      busy = false;
      await c.end().catch(() => undefined);
    }
    samples.push(s);
  };
  const timer = setInterval(() => void take(), everyMs);
  void take();
  return {
    samples,
    stop: () => clearInterval(timer),
    lines: (): string[] =>
      samples.map(
        (s) =>
          `+${(s.t / 1000).toFixed(0).padStart(4)} s  ${s.dbDown ? "database down".padEnd(30) : `notify ${String(s.notify).padStart(4)}  email ${String(s.email).padStart(4)}  webhook ${String(s.webhook).padStart(4)}`}  mail accepted ${String(s.mail).padStart(5)}  webhooks ${String(s.hooks).padStart(5)}`,
      ),
  };
}
