import type { TicketEvent } from "@/server/tickets/ticket-events";
import { priorityLabel, statusLabel, utcDateTime } from "@/lib/ticket-labels";
import { LocalTime } from "../local-time";

const METRIC: Record<string, string> = {
  first_response: "First response",
  next_response: "Next response",
  resolution: "Resolution",
};

const EFFECT: Record<string, string> = {
  note: "added an internal note",
  email: "sent an email",
  notify: "notified agents",
  webhook: "called a webhook",
  assign: "assigned within a group",
};

type NameOf = (id: string | null | undefined) => string;
/** A group's name by id; without the page's groups (or for a deleted group): "a group". */
const someGroup: NameOf = () => "a group";

const str = (v: unknown) => (typeof v === "string" ? v : null);
const due = (v: unknown) => (typeof v === "string" ? utcDateTime(v) : null);

/** What a PATCH changed, as verb phrases: "set status Open → Pending", "took the ticket". */
function changeLines(
  changes: Record<string, { from?: unknown; to?: unknown }>,
  actorId: string | null,
  nameOf: NameOf,
  groupOf: NameOf,
): string[] {
  const out: string[] = [];
  for (const [field, c] of Object.entries(changes)) {
    switch (field) {
      case "status":
        out.push(`set status ${statusLabel(String(c.from))} → ${statusLabel(String(c.to))}`);
        break;
      case "priority":
        out.push(`set priority ${priorityLabel(String(c.from))} → ${priorityLabel(String(c.to))}`);
        break;
      case "assigneeId":
        if (!c.to) out.push("unassigned the ticket");
        else if (c.to === actorId) out.push("took the ticket");
        else out.push(`assigned the ticket to ${nameOf(str(c.to))}`);
        break;
      case "tags": {
        const tags = Array.isArray(c.to) ? (c.to as unknown[]).map(String) : [];
        out.push(tags.length ? `set tags to ${tags.join(", ")}` : "cleared the tags");
        break;
      }
      case "subject":
        out.push(`renamed it “${String(c.to)}”`);
        break;
      case "groupId":
        out.push(
          c.to ? `set group ${c.from ? `${groupOf(str(c.from))} → ` : ""}${groupOf(str(c.to))}` : "cleared the group",
        );
        break;
      default:
        out.push(`changed ${field}`);
    }
  }
  return out;
}

/** One event of the ticket's audit chain or SLA record, as a sentence. */
export function describeEvent(e: TicketEvent, nameOf: NameOf, groupOf: NameOf = someGroup): string {
  const who = e.actorId ? nameOf(e.actorId) : "System";
  if (e.source === "audit") {
    switch (e.action) {
      case "ticket.created":
        return `${who} opened the ticket (priority ${priorityLabel(String(e.data.priority ?? "normal"))})`;
      case "ticket.updated": {
        const lines = changeLines(
          (e.data.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>,
          e.actorId,
          nameOf,
          groupOf,
        );
        return lines.length ? `${who} ${lines.join("; ")}` : `${who} updated the ticket`;
      }
      case "ticket.replied": {
        const s = e.data.status as { from?: string; to?: string } | undefined;
        return `${who} replied publicly${s?.to ? ` (status ${statusLabel(String(s.from))} → ${statusLabel(s.to)})` : ""}`;
      }
      case "ticket.note_added":
        return `${who} added an internal note`;
      case "ticket.automation": {
        // A trigger or time rule ran (decision 036): named, with what it changed and did.
        const rule = str(e.data.ruleName) ?? "a rule";
        const kind = e.data.kind === "automation" ? "Time rule" : "Trigger";
        const lines = changeLines(
          (e.data.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>,
          null,
          nameOf,
          groupOf,
        );
        const effects = Array.isArray(e.data.effects)
          ? (e.data.effects as { type?: unknown }[]).map((x) => EFFECT[String(x.type)] ?? String(x.type))
          : [];
        const did = [...lines, ...effects];
        return `${kind} “${rule}” ${did.length ? did.join("; ") : "ran"}`;
      }
      case "ticket.macro_applied": {
        const lines = changeLines(
          (e.data.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>,
          e.actorId,
          nameOf,
          groupOf,
        );
        return `${who} applied the macro “${str(e.data.macroName) ?? "a macro"}”${lines.length ? `: ${lines.join("; ")}` : ""}`;
      }
      case "ticket.merged":
        return `${who} merged this ticket into #${String((e.data.into as { number?: unknown } | undefined)?.number ?? "?")} (closed)`;
      case "ticket.merge_received":
        return `${who} merged #${String((e.data.from as { number?: unknown } | undefined)?.number ?? "?")} into this ticket`;
      case "ticket.linked":
      case "ticket.unlinked":
        return `${who} ${e.action === "ticket.linked" ? "linked" : "unlinked"} #${String((e.data.ticket as { number?: unknown } | undefined)?.number ?? "?")}`;
      case "ticket.csat_rated":
        return `The requester rated the support ${e.data.rating === "good" ? "good" : "bad"}${e.data.comment ? `: “${String(e.data.comment)}”` : ""}`;
      case "ticket.csat_imported":
        return `The requester rated the support ${e.data.rating === "good" ? "good" : "bad"}${e.data.comment ? `: “${String(e.data.comment)}”` : ""} (imported from ${sourceName(e.data.source)})`;
      case "ticket.imported": {
        // The import's audit event (decisions 053, 057): the source's number, what came with it.
        const n = e.data.sourceId === undefined ? "" : ` #${String(e.data.sourceId)}`;
        const comments = typeof e.data.comments === "number" ? e.data.comments : undefined;
        const with_ = comments === undefined ? "" : ` with ${comments} ${comments === 1 ? "comment" : "comments"}`;
        return `${who} imported the ticket${with_} from ${sourceName(e.data.source)}${n}`;
      }
      case "attachment.added": {
        const name = str(e.data.filename);
        const to = e.data.internal === true ? " to an internal note" : e.data.commentId ? " to a reply" : "";
        return `${who} attached ${name ? `“${name}”` : "a file"}${to}`;
      }
      default:
        return `${who}: ${e.action}`;
    }
  }
  // sla.<metric>.<kind>
  const [, metricKey = "", kind = ""] = e.action.split(".");
  const metric = METRIC[metricKey] ?? metricKey;
  const at = due(e.data.dueAt);
  // Recorded by the helpdesk an import came from (decision 061), not by Beacon's own policies.
  if (e.data.imported === true)
    return `${importedSla(kind, metric, at, e.data)} (imported from ${sourceName(e.data.source)})`;
  switch (kind) {
    case "apply": {
      if (e.data.reason === "reopened") return `${metric} clock restarted (ticket reopened)`;
      const why =
        e.data.reason === "priority_change"
          ? " after a priority change"
          : e.data.reason === "resumed"
            ? " after the pause"
            : "";
      return at ? `${metric} target set${why}: due ${at}` : `${metric} target set${why}`;
    }
    case "pause":
      return `${metric} clock paused (status ${statusLabel(String(e.data.status ?? "pending"))})`;
    case "resume":
      return `${metric} clock resumed`;
    case "fulfill":
      return e.data.late ? `${metric} met late (was due ${at ?? "earlier"})` : `${metric} met`;
    case "warn":
      return `${metric} due soon: warning sent (due ${at ?? "soon"})`;
    case "breach":
      return `${metric} target breached (was due ${at ?? "earlier"})`;
    default:
      return `${metric}: ${kind}`;
  }
}

const SOURCE_NAME: Record<string, string> = {
  zendesk: "Zendesk",
  freshdesk: "Freshdesk",
  csv: "a CSV file",
  beacon: "Beacon",
};
const sourceName = (v: unknown) => SOURCE_NAME[String(v)] ?? "another helpdesk";

/** An SLA event another helpdesk recorded: what it says, without Beacon's own reasons and warnings. */
function importedSla(kind: string, metric: string, at: string | null, data: Record<string, unknown>): string {
  switch (kind) {
    case "apply": {
      if (data.reason === "reopened") return `${metric} clock restarted (ticket reopened)`;
      const policy = str(data.policy);
      const target = typeof data.targetMinutes === "number" ? `${data.targetMinutes} min` : null;
      const detail = [policy ? `policy “${policy}”` : null, target, at ? `due ${at}` : null].filter(Boolean);
      return `${metric} target set${detail.length ? `: ${detail.join(", ")}` : ""}`;
    }
    case "pause":
      return `${metric} clock paused`;
    case "resume":
      return `${metric} clock resumed`;
    case "fulfill":
      return `${metric} met`;
    case "breach":
      return `${metric} target breached${at ? ` (was due ${at})` : ""}`;
    default:
      return `${metric}: ${kind}`;
  }
}

/** The ticket's history for staff: who did what, and every SLA change, oldest first. */
export function TicketHistory({
  events,
  nameOf,
  groupOf = someGroup,
}: {
  events: TicketEvent[];
  nameOf: NameOf;
  groupOf?: NameOf;
}) {
  if (events.length === 0) return <p className="muted">No history yet.</p>;
  return (
    <ol className="history" data-testid="ticket-history">
      {events.map((e, i) => (
        <li key={`${e.source}-${e.seq ?? i}-${e.at}`} className={`history-${e.source}`}>
          <span className="history-kind" aria-hidden="true">
            {e.source === "sla" ? "SLA" : "•"}
          </span>
          <span className="history-text">
            {e.source === "sla" ? <span className="visually-hidden">SLA: </span> : null}
            {describeEvent(e, nameOf, groupOf)}
            <LocalTime iso={e.at} className="history-time" />
          </span>
        </li>
      ))}
    </ol>
  );
}
