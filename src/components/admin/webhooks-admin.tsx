"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { api, type ApiFailure } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback } from "../use-api-action";
import { EditConflict, changedFields, type ConflictField } from "../edit-conflict";
import { useEtag } from "../use-etag";
import s from "./admin.module.css";
import { Field } from "../field";
import { ConfirmDialog } from "./confirm-dialog";
import { ShownOnce } from "./shown-once";

// The API's own types, generated from its OpenAPI document (src/lib/api-types.ts), not hand copies.
export type WebhookData = components["schemas"]["Webhook"];
export type DeliveryData = components["schemas"]["WebhookDelivery"];

const EVENT_TEXT: Record<string, string> = {
  "sla.warning": "SLA warning — a target is about to be missed",
  "sla.breach": "SLA breach — a target was missed",
  "ticket.created": "Ticket created",
  "ticket.assigned": "Ticket assigned",
  "ticket.replied": "Ticket replied to",
};
const STATUS_CLASS: Record<string, string> = {
  succeeded: s.badgeOk!,
  pending: s.badgeInfo!,
  failed: s.badgeWarn!,
  dead: s.badgeDanger!,
};

function SecretNotice({ secret, onDone, rotated = false }: { secret: string; onDone: () => void; rotated?: boolean }) {
  return (
    <ShownOnce
      title={rotated ? "New signing secret — shown only once" : "Signing secret — shown only once"}
      label="Signing secret"
      value={secret}
      onDone={onDone}
    >
      <p>
        Copy it into your receiver now. Beacon stores it to sign deliveries but will never show it again; if it is lost,
        rotate it.
        {rotated ? " The old secret stopped working." : ""}
      </p>
    </ShownOnce>
  );
}

export function CreateWebhookForm({ events }: { events: string[] }) {
  const router = useRouter();
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [created, setCreated] = useState<WebhookData | null>(null);
  const [status, setStatus] = useState("");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const chosen = form.getAll("events").map(String);
    const body = { url: String(form.get("url") ?? "").trim(), events: chosen, active: form.get("active") === "on" };
    setFailure(null);
    setStatus("");
    if (chosen.length === 0) {
      setFailure({ status: 400, code: "validation_failed", message: "choose at least one event", issues: [] });
      formRef.current?.querySelector<HTMLInputElement>('[name="events"]')?.focus();
      return;
    }
    setBusy(true);
    const r = await api<WebhookData>("POST", "/api/v1/webhooks", body);
    setBusy(false);
    if (!r.ok) {
      setFailure(r.error);
      if (r.error.issues.some((i) => i.path === "url"))
        formRef.current?.querySelector<HTMLInputElement>('[name="url"]')?.focus();
      return;
    }
    formRef.current?.reset();
    setCreated(r.data);
    setStatus(`Webhook for ${r.data.url} added.`);
    router.refresh();
  }

  const urlErr = failure?.issues.find((i) => i.path === "url")?.message;
  return (
    <>
      <form ref={formRef} onSubmit={submit} noValidate className={s.section}>
        <Field id={`${id}-url`} label="Receiver URL" error={urlErr && `URL ${urlErr}.`}>
          {(aria) => (
            <input
              {...aria}
              name="url"
              type="url"
              inputMode="url"
              required
              placeholder="https://example.com/beacon-events"
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <fieldset className={s.checks}>
          <legend>Events</legend>
          {events.map((ev) => (
            <label key={ev} className={s.check}>
              <input type="checkbox" name="events" value={ev} defaultChecked={ev.startsWith("sla.")} />
              {EVENT_TEXT[ev] ?? ev}
            </label>
          ))}
        </fieldset>
        <label className={s.check}>
          <input type="checkbox" name="active" defaultChecked />
          Active (deliver events right away)
        </label>
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            {busy ? "Adding…" : "Add webhook"}
          </button>
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} />
      {created?.secret ? <SecretNotice secret={created.secret} onDone={() => setCreated(null)} /> : null}
    </>
  );
}

type Props = { hook: WebhookData; deliveries: DeliveryData[]; nextCursor: string | null; events: string[] };

/** One webhook: active switch, events, rotate secret, delete, and its recent deliveries. */
export function WebhookCard({ hook, deliveries, nextCursor }: Props) {
  const router = useRouter();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState<"rotate" | "delete" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [older, setOlder] = useState<DeliveryData[]>([]);
  const [cursor, setCursor] = useState<string | null>(nextCursor);
  const [loading, setLoading] = useState(false);
  // Changes name the version on screen (If-Match); when another admin changed it first: what changed, and a choice (decision 043).
  const etag = useEtag(`/api/v1/webhooks/${hook.id}`, hook.updatedAt);
  const [conflict, setConflict] = useState<{
    body: Record<string, unknown>;
    done: string;
    mine: string;
    fields: ConflictField[];
    etag: string;
  } | null>(null);
  const shown = (h: WebhookData): Record<string, string> => ({
    URL: h.url,
    Events: h.events.join(", "),
    Active: h.active ? "yes" : "no (paused)",
  });

  async function patch(body: Record<string, unknown>, done: string, ifMatch = etag) {
    setBusy(true);
    setFailure(null);
    setStatus("");
    setConflict(null);
    const r = await api<WebhookData>("PATCH", `/api/v1/webhooks/${hook.id}`, body, { ifMatch });
    setBusy(false);
    setAsking(null);
    if (!r.ok && r.error.status === 412) {
      const now = await api<WebhookData>("GET", `/api/v1/webhooks/${hook.id}`);
      if (now.ok && now.etag) {
        const mine = body.rotateSecret
          ? "rotate the secret"
          : body.active !== undefined
            ? body.active
              ? "activate"
              : "pause"
            : "change";
        setConflict({ body, done, mine, fields: changedFields(shown(hook), shown(now.data)), etag: now.etag });
        return;
      }
    }
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    if (r.data.secret) setSecret(r.data.secret);
    setStatus(done);
    router.refresh();
  }

  async function remove() {
    setBusy(true);
    setFailure(null);
    const r = await api("DELETE", `/api/v1/webhooks/${hook.id}`);
    setBusy(false);
    setAsking(null);
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    router.refresh();
  }

  async function loadOlder() {
    if (!cursor) return;
    setLoading(true);
    const r = await api<{ data: DeliveryData[]; nextCursor: string | null }>(
      "GET",
      `/api/v1/webhooks/${hook.id}/deliveries?${new URLSearchParams({ limit: "20", cursor }).toString()}`,
    );
    setLoading(false);
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    setOlder((o) => [...o, ...r.data.data]);
    setCursor(r.data.nextCursor);
  }

  const all = [...deliveries, ...older];
  const titleId = `${id}-title`;
  return (
    <article className="card" aria-labelledby={titleId} data-testid="webhook">
      <div className={s.section}>
        <div className={s.sectionHead}>
          <h3 id={titleId} className={s.mono} style={{ margin: 0, fontSize: "0.9375rem" }}>
            {hook.url}
          </h3>
          <button
            type="button"
            role="switch"
            aria-checked={hook.active}
            aria-label={`Active: ${hook.url}`}
            className={s.switch}
            disabled={busy}
            onClick={() =>
              void patch(
                { active: !hook.active },
                hook.active ? "Webhook paused: no events are sent to it." : "Webhook active again.",
              )
            }
          >
            <span className={s.switchTrack} aria-hidden="true" />
            {hook.active ? "Active" : "Paused"}
          </button>
        </div>
        <div className={s.badges} aria-label="Events">
          {hook.events.map((e) => (
            <span key={e} className={`${s.badge} ${s.badgeInfo}`}>
              {e}
            </span>
          ))}
        </div>
        <p className="hint">
          Secret ends in <code>{hook.secretHint}</code> · added <LocalTime iso={hook.createdAt} />
        </p>
        <div className={s.formActions}>
          <button type="button" className="button subtle" onClick={() => setAsking("rotate")} disabled={busy}>
            Rotate secret
          </button>
          <button
            type="button"
            className={`button subtle ${s.dangerOutline}`}
            onClick={() => setAsking("delete")}
            disabled={busy}
          >
            Delete
          </button>
        </div>
        {conflict ? (
          <EditConflict
            fields={conflict.fields}
            mine={conflict.mine}
            busy={busy}
            onReapply={() => void patch(conflict.body, conflict.done, conflict.etag)}
            onDiscard={() => {
              setConflict(null);
              router.refresh();
            }}
          />
        ) : null}
        <ActionFeedback status={status} failure={failure} />
        {secret ? <SecretNotice secret={secret} rotated onDone={() => setSecret(null)} /> : null}

        <details className="disclosure">
          <summary>
            Recent deliveries ({all.length}
            {cursor ? "+" : ""})
          </summary>
          {all.length === 0 ? (
            <p className="muted">Nothing delivered yet. Events appear here as they happen.</p>
          ) : (
            <div className={s.tableWrap}>
              <table className={`${s.table} ${s.stack}`}>
                <caption className="visually-hidden">Deliveries to {hook.url}, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col" className={s.num}>
                      Attempts
                    </th>
                    <th scope="col" className={s.num}>
                      Last code
                    </th>
                    <th scope="col">Created</th>
                    <th scope="col">Last error</th>
                  </tr>
                </thead>
                <tbody>
                  {all.map((d) => (
                    <tr key={d.id}>
                      <td className={s.mono}>{d.event}</td>
                      <td>
                        <span className={`${s.badge} ${STATUS_CLASS[d.status] ?? ""}`}>{d.status}</span>
                      </td>
                      <td className={s.num}>
                        <span className={s.cellLabel}>Attempts:</span>
                        {d.attempts}
                      </td>
                      <td className={s.num}>
                        <span className={s.cellLabel}>Last code:</span>
                        {d.lastStatusCode ?? "—"}
                      </td>
                      <td className={s.nowrap}>
                        <LocalTime iso={d.createdAt} />
                      </td>
                      <td>
                        {d.lastError ? <span className={s.mono}>{d.lastError}</span> : <span className="muted">—</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {cursor ? (
            <button
              type="button"
              className="button subtle"
              onClick={() => void loadOlder()}
              disabled={loading}
              aria-busy={loading}
            >
              {loading ? "Loading…" : "Load older deliveries"}
            </button>
          ) : null}
        </details>
      </div>
      {asking === "rotate" ? (
        <ConfirmDialog
          open
          title="Rotate the signing secret?"
          confirmLabel="Rotate secret"
          danger
          busy={busy}
          onConfirm={() => void patch({ rotateSecret: true }, "Secret rotated.")}
          onCancel={() => setAsking(null)}
        >
          <p>
            The current secret stops working at once: deliveries are signed with the new one, which you must put into
            your receiver.
          </p>
        </ConfirmDialog>
      ) : null}
      {asking === "delete" ? (
        <ConfirmDialog
          open
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          danger
          busy={busy}
          onConfirm={() => void remove()}
          onCancel={() => setAsking(null)}
        >
          <p>
            No more events go to <span className={s.mono}>{hook.url}</span>, and its delivery history is removed.
          </p>
        </ConfirmDialog>
      ) : null}
    </article>
  );
}
