// Human text for a notification, shared by email and the in-app list (pure).

export type NotificationText = { title: string; body: string };

type Payload = {
  ticket?: { number?: number; subject?: string };
  metric?: string;
  dueAt?: string;
  title?: string;
  body?: string;
};

const METRIC: Record<string, string> = {
  first_response: "first response",
  next_response: "next response",
  resolution: "resolution",
};

export function notificationText(kind: string, payload: Payload): NotificationText {
  const t = payload.ticket ? `#${payload.ticket.number} ${payload.ticket.subject}` : "a ticket";
  const metric = METRIC[payload.metric ?? ""] ?? "SLA";
  switch (kind) {
    case "sla.warning":
      return { title: `SLA warning: ${t}`, body: `The ${metric} target of ${t} is due at ${payload.dueAt ?? "soon"}.` };
    case "sla.breach":
      return {
        title: `SLA breached: ${t}`,
        body: `The ${metric} target of ${t} was due at ${payload.dueAt ?? "an earlier time"} and has passed.`,
      };
    case "ticket.created":
      return { title: `New ticket: ${t}`, body: `${t} was opened.` };
    case "ticket.assigned":
      return { title: `Assigned to you: ${t}`, body: `${t} was assigned to you.` };
    case "ticket.replied":
      return { title: `New reply: ${t}`, body: `There is a new reply on ${t}.` };
    case "automation.message":
      // An automation rule's own template, already rendered (src/server/automation/execute-actions.ts).
      return { title: payload.title ?? `Update: ${t}`, body: payload.body ?? `${t} was updated.` };
    default:
      return { title: `Update: ${t}`, body: `${t} was updated.` };
  }
}
