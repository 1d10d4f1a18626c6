import "server-only";
import client from "prom-client";
import { metrics } from "../observability/metrics";

// Email counters (issue 12 item 9, decision 035), in the process's one registry. Counted by the
// process that applies or sends the mail (the worker, which `npm start` runs in the app's process).
// Kept out of metrics.ts so the email channel's series live beside the code that counts them.

export const INBOUND_SOURCES = ["smtp", "imap", "webhook"] as const;
export const INBOUND_OUTCOMES = [
  "ticket",
  "reply",
  "dropped-loop",
  "dropped-automatic",
  "dropped-blocked",
  "bounce",
  "held",
  "rejected",
  "dead",
] as const;
export const OUTBOUND_KINDS = ["reply", "notification", "customer"] as const;
export const OUTBOUND_OUTCOMES = ["sent", "failed", "skipped-bouncing"] as const;

type InboundOutcome = (typeof INBOUND_OUTCOMES)[number];
type OutboundOutcome = (typeof OUTBOUND_OUTCOMES)[number];
type EmailMetrics = {
  registry: client.Registry;
  inbound: client.Counter<"source" | "outcome">;
  outbound: client.Counter<"kind" | "outcome">;
};

const g = globalThis as unknown as { __beaconEmailMetrics?: EmailMetrics };

function emailMetrics(): EmailMetrics {
  const registry = metrics().registry;
  if (g.__beaconEmailMetrics?.registry === registry) return g.__beaconEmailMetrics;
  const m: EmailMetrics = {
    registry,
    inbound: new client.Counter({
      name: "email_inbound_messages_total",
      help: "Inbound email by source (smtp, imap, webhook) and outcome (ticket, reply, dropped-loop, dropped-automatic, dropped-blocked, bounce, held, rejected, dead)",
      labelNames: ["source", "outcome"],
      registers: [registry],
    }),
    outbound: new client.Counter({
      name: "email_outbound_messages_total",
      help: "Outbound email (reply: an agent's reply to the customer; notification; customer: the acknowledgement and solve templates) by outcome (sent, failed, skipped-bouncing)",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
  };
  // Every series from zero, so the first drop, hold or failure shows as a rise.
  for (const source of INBOUND_SOURCES) for (const outcome of INBOUND_OUTCOMES) m.inbound.inc({ source, outcome }, 0);
  for (const kind of OUTBOUND_KINDS) for (const outcome of OUTBOUND_OUTCOMES) m.outbound.inc({ kind, outcome }, 0);
  g.__beaconEmailMetrics = m;
  return m;
}

export function countInbound(source: string, outcome: InboundOutcome): void {
  emailMetrics().inbound.inc({ source, outcome });
}

export function countOutbound(kind: (typeof OUTBOUND_KINDS)[number], outcome: OutboundOutcome): void {
  emailMetrics().outbound.inc({ kind, outcome });
}

/** Registers the series (at zero) without counting: for a process that serves /api/metrics. */
export function registerEmailMetrics(): void {
  emailMetrics();
}

/** The metric outcome of an apply result. */
export function inboundMetricOutcome(r: { outcome: string; reason?: string }): InboundOutcome {
  if (r.outcome === "dropped") {
    if (r.reason?.startsWith("loop:")) return "dropped-loop";
    if (r.reason === "sender is blocked") return "dropped-blocked";
    return "dropped-automatic";
  }
  return (INBOUND_OUTCOMES as readonly string[]).includes(r.outcome)
    ? (r.outcome as InboundOutcome)
    : "dropped-automatic";
}
