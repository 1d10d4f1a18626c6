"use client";

import { useId, useRef, useState, type FormEvent } from "react";
import { api } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";
import { Field } from "../field";
import { ConfirmDialog } from "./confirm-dialog";
import { ShownOnce } from "./shown-once";

// The /admin/email page's controls (issue 12 items 1, 2): support addresses, IMAP mailboxes and
// the provider webhook's secret, each through the /api/v1/email endpoints.

export type AddressData = {
  id: string;
  address: string;
  displayName: string;
  isDefault: boolean;
  mailboxes: number;
  createdAt: string;
};
export type MailboxData = {
  id: string;
  addressId: string;
  address: string;
  host: string;
  port: number;
  tlsMode: string;
  username: string;
  folder: string;
  enabled: boolean;
  lastFetchedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
};
export type InboundSecretData = { configured: boolean; hint: string | null; createdAt: string | null };

function fieldError(failure: { issues: { path: string; message: string }[] } | null, path: string) {
  return failure?.issues.find((i) => i.path === path)?.message;
}

export function AddAddressForm() {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const { run, busy, status, failure } = useApiAction();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = {
      address: String(form.get("address") ?? "").trim(),
      displayName: String(form.get("displayName") ?? "").trim(),
      isDefault: form.get("isDefault") === "on",
    };
    const r = await run(
      () => api<AddressData>("POST", "/api/v1/email/addresses", body),
      (a) => `Support address ${a.address} added.`,
    );
    if (r.ok) formRef.current?.reset();
    else formRef.current?.querySelector<HTMLInputElement>('[name="address"]')?.focus();
  }

  const err = fieldError(failure, "address");
  return (
    <>
      <form ref={formRef} onSubmit={submit} noValidate className={s.formGrid}>
        <Field id={`${id}-address`} label="Address" error={err && `Address ${err}.`}>
          {(aria) => (
            <input
              {...aria}
              name="address"
              type="email"
              required
              placeholder="support@example.com"
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <div className="field">
          <label htmlFor={`${id}-name`}>Display name</label>
          <input
            id={`${id}-name`}
            name="displayName"
            type="text"
            maxLength={200}
            placeholder="Acme Support"
            autoComplete="off"
          />
        </div>
        <label className={s.check}>
          <input type="checkbox" name="isDefault" />
          Default (replies to tickets not received by email come from it)
        </label>
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            {busy ? "Adding…" : "Add address"}
          </button>
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} statusTestId="address-status" />
    </>
  );
}

export function AddressRows({ addresses }: { addresses: AddressData[] }) {
  const { run, busyKey, status, failure } = useApiAction();
  const [removing, setRemoving] = useState<AddressData | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  async function rename(a: AddressData, e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const displayName = String(new FormData(e.currentTarget).get("displayName") ?? "").trim();
    const r = await run(
      () => api<AddressData>("PATCH", `/api/v1/email/addresses/${a.id}`, { displayName }),
      (x) => `Display name of ${x.address} saved.`,
      { key: a.id },
    );
    if (r.ok) setEditing(null);
  }

  return (
    <>
      <div className={s.tableWrap}>
        <table className={s.table} data-testid="email-addresses">
          <caption className="visually-hidden">Support addresses</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Display name</th>
              <th scope="col">Mailboxes</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {addresses.map((a) => (
              <tr key={a.id}>
                <td className={s.mono}>
                  {a.address} {a.isDefault ? <span className={`${s.badge} ${s.badgeInfo}`}>default</span> : null}
                </td>
                <td>
                  {editing === a.id ? (
                    <form onSubmit={(e) => rename(a, e)} className={s.inlineFields}>
                      <label className="visually-hidden" htmlFor={`dn-${a.id}`}>
                        Display name of {a.address}
                      </label>
                      <input id={`dn-${a.id}`} name="displayName" defaultValue={a.displayName} maxLength={200} />
                      <button type="submit" className="button" disabled={busyKey === a.id}>
                        Save
                      </button>
                      <button type="button" className="button subtle" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    a.displayName || <span className="muted">—</span>
                  )}
                </td>
                <td>{a.mailboxes}</td>
                <td className={s.rowActions}>
                  {editing !== a.id ? (
                    <button
                      type="button"
                      className="button subtle"
                      onClick={() => setEditing(a.id)}
                      aria-label={`Edit display name of ${a.address}`}
                    >
                      Edit
                    </button>
                  ) : null}
                  {!a.isDefault ? (
                    <button
                      type="button"
                      className="button subtle"
                      disabled={busyKey === a.id}
                      aria-label={`Make ${a.address} the default`}
                      onClick={() =>
                        run(
                          () => api<AddressData>("PATCH", `/api/v1/email/addresses/${a.id}`, { isDefault: true }),
                          (x) => `${x.address} is now the default.`,
                          { key: a.id },
                        )
                      }
                    >
                      Make default
                    </button>
                  ) : null}
                  <button
                    type="button"
                    className={`button ${s.dangerOutline}`}
                    onClick={() => setRemoving(a)}
                    aria-label={`Remove ${a.address}`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ActionFeedback status={status} failure={failure} />
      <ConfirmDialog
        open={removing !== null}
        title="Remove this support address?"
        confirmLabel="Remove address"
        danger
        busy={removing !== null && busyKey === removing.id}
        onCancel={() => setRemoving(null)}
        onConfirm={async () => {
          const a = removing!;
          await run(
            () => api<void>("DELETE", `/api/v1/email/addresses/${a.id}`),
            () => `${a.address} removed.`,
            { key: a.id },
          );
          setRemoving(null);
        }}
      >
        <p>Mail sent to {removing?.address} will be refused from now on. Existing tickets stay.</p>
      </ConfirmDialog>
    </>
  );
}

export function ConnectMailboxForm({ addresses }: { addresses: AddressData[] }) {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const { run, busy, status, failure } = useApiAction();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = {
      addressId: String(f.get("addressId")),
      host: String(f.get("host") ?? "").trim(),
      port: Number(f.get("port")),
      tlsMode: String(f.get("tlsMode")),
      username: String(f.get("username") ?? ""),
      password: String(f.get("password") ?? ""),
      folder: String(f.get("folder") ?? "INBOX").trim() || "INBOX",
    };
    const r = await run(
      () => api<MailboxData>("POST", "/api/v1/email/mailboxes", body),
      (m) => `Mailbox ${m.username} on ${m.host} connected.`,
    );
    if (r.ok) formRef.current?.reset();
    else {
      const path = r.error.issues[0]?.path;
      if (path) formRef.current?.querySelector<HTMLElement>(`[name="${path}"]`)?.focus();
    }
  }

  const field = (name: string, label: string, input: React.ReactNode) => {
    const err = fieldError(failure, name);
    return (
      <Field id={`${id}-${name}`} label={label} error={err && `${label} ${err}.`}>
        {input}
      </Field>
    );
  };
  const aria = (name: string) =>
    fieldError(failure, name) ? { "aria-invalid": true, "aria-describedby": `${id}-${name}-err` } : {};

  if (addresses.length === 0)
    return <p className="muted">Add a support address first: a mailbox delivers mail for one of them.</p>;
  return (
    <>
      <form ref={formRef} onSubmit={submit} noValidate className={s.formGrid}>
        {field(
          "addressId",
          "Delivers for",
          <select id={`${id}-addressId`} name="addressId" {...aria("addressId")}>
            {addresses.map((a) => (
              <option key={a.id} value={a.id}>
                {a.address}
              </option>
            ))}
          </select>,
        )}
        {field(
          "host",
          "IMAP host",
          <input
            id={`${id}-host`}
            name="host"
            required
            placeholder="imap.example.com"
            autoComplete="off"
            spellCheck={false}
            {...aria("host")}
          />,
        )}
        {field(
          "port",
          "Port",
          <input
            id={`${id}-port`}
            name="port"
            type="number"
            min={1}
            max={65535}
            defaultValue={993}
            {...aria("port")}
          />,
        )}
        {field(
          "tlsMode",
          "Security",
          <select id={`${id}-tlsMode`} name="tlsMode" defaultValue="tls" {...aria("tlsMode")}>
            <option value="tls">TLS</option>
            <option value="starttls">STARTTLS</option>
            <option value="none">None (loopback or private network only)</option>
          </select>,
        )}
        {field(
          "username",
          "User name",
          <input
            id={`${id}-username`}
            name="username"
            required
            autoComplete="off"
            spellCheck={false}
            {...aria("username")}
          />,
        )}
        {field(
          "password",
          "Password",
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            required
            autoComplete="new-password"
            {...aria("password")}
          />,
        )}
        {field(
          "folder",
          "Folder",
          <input id={`${id}-folder`} name="folder" defaultValue="INBOX" {...aria("folder")} />,
        )}
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            {busy ? "Connecting…" : "Connect mailbox"}
          </button>
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} />
    </>
  );
}

export function MailboxRows({ mailboxes }: { mailboxes: MailboxData[] }) {
  const { run, busyKey, status, failure } = useApiAction();
  const [removing, setRemoving] = useState<MailboxData | null>(null);
  return (
    <>
      <div className={s.tableWrap}>
        <table className={s.table} data-testid="email-mailboxes">
          <caption className="visually-hidden">IMAP mailboxes</caption>
          <thead>
            <tr>
              <th scope="col">Mailbox</th>
              <th scope="col">Delivers for</th>
              <th scope="col">Last fetch</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {mailboxes.map((m) => (
              <tr key={m.id}>
                <td className={s.mono}>
                  {m.username}@{m.host}:{m.port} ({m.folder})
                  {m.enabled ? null : (
                    <>
                      {" "}
                      <span className={`${s.badge} ${s.badgeWarn}`}>paused</span>
                    </>
                  )}
                </td>
                <td className={s.mono}>{m.address}</td>
                <td>{m.lastFetchedAt ? <LocalTime iso={m.lastFetchedAt} /> : <span className="muted">never</span>}</td>
                <td>
                  {m.lastError ? (
                    <span className="error">
                      {m.lastError}
                      {m.lastErrorAt ? (
                        <>
                          {" "}
                          (<LocalTime iso={m.lastErrorAt} />)
                        </>
                      ) : null}
                    </span>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <td className={s.rowActions}>
                  <button
                    type="button"
                    className="button subtle"
                    disabled={busyKey === m.id}
                    aria-label={`${m.enabled ? "Pause" : "Resume"} ${m.username} on ${m.host}`}
                    onClick={() =>
                      run(
                        () => api<MailboxData>("PATCH", `/api/v1/email/mailboxes/${m.id}`, { enabled: !m.enabled }),
                        (x) => `Mailbox ${x.username} ${x.enabled ? "resumed" : "paused"}.`,
                        { key: m.id },
                      )
                    }
                  >
                    {m.enabled ? "Pause" : "Resume"}
                  </button>
                  <button
                    type="button"
                    className={`button ${s.dangerOutline}`}
                    onClick={() => setRemoving(m)}
                    aria-label={`Disconnect ${m.username} on ${m.host}`}
                  >
                    Disconnect
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ActionFeedback status={status} failure={failure} />
      <ConfirmDialog
        open={removing !== null}
        title="Disconnect this mailbox?"
        confirmLabel="Disconnect"
        danger
        busy={removing !== null && busyKey === removing.id}
        onCancel={() => setRemoving(null)}
        onConfirm={async () => {
          const m = removing!;
          await run(
            () => api<void>("DELETE", `/api/v1/email/mailboxes/${m.id}`),
            () => `Mailbox ${m.username} on ${m.host} disconnected.`,
            { key: m.id },
          );
          setRemoving(null);
        }}
      >
        <p>Beacon stops fetching from it. Mail already taken in stays; mail left in the mailbox is not touched.</p>
      </ConfirmDialog>
    </>
  );
}

export function InboundSecretPanel({ secret }: { secret: InboundSecretData }) {
  const { run, busy, status, failure } = useApiAction();
  const [shown, setShown] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  async function generate() {
    const r = await run(
      () => api<{ secret: string; hint: string }>("POST", "/api/v1/email/inbound-secret"),
      () => "A new webhook secret was generated.",
    );
    setAsking(false);
    if (r.ok) setShown(r.data.secret);
  }
  return (
    <>
      <p data-testid="inbound-secret-state">
        {secret.configured ? (
          <>
            Secret in use: <code>{secret.hint}</code>
            {secret.createdAt ? (
              <>
                , generated <LocalTime iso={secret.createdAt} />
              </>
            ) : null}
            .
          </>
        ) : (
          "No secret yet: the webhook refuses every delivery."
        )}
      </p>
      <div className={s.formActions}>
        <button
          type="button"
          className="button"
          disabled={busy}
          aria-busy={busy}
          onClick={() => (secret.configured ? setAsking(true) : generate())}
        >
          {secret.configured ? "Generate a new secret" : "Generate secret"}
        </button>
      </div>
      <ActionFeedback status={status} failure={failure} />
      {shown ? (
        <ShownOnce
          title="Webhook secret — shown only once"
          label="Webhook secret"
          value={shown}
          onDone={() => setShown(null)}
        >
          <p>
            Give it to your mail provider as <code>Authorization: Bearer &lt;secret&gt;</code>. Beacon keeps only its
            hash and will never show it again.
          </p>
        </ShownOnce>
      ) : null}
      <ConfirmDialog
        open={asking}
        title="Replace the webhook secret?"
        confirmLabel="Generate new secret"
        busy={busy}
        onCancel={() => setAsking(false)}
        onConfirm={generate}
      >
        <p>The current secret stops working at once; deliveries fail until the provider has the new one.</p>
      </ConfirmDialog>
    </>
  );
}

export type EmailSettingsData = {
  ticketsPerSenderPerHour: number;
  dmarcRefuseDomains: string[];
  inboundOpenPolicy: "anyone" | "known" | "domains";
  inboundOpenDomains: string[];
};

const domainList = (v: FormDataEntryValue | null) =>
  String(v ?? "")
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);

export function EmailSettingsForm({ settings }: { settings: EmailSettingsData }) {
  const id = useId();
  const { run, busy, status, failure } = useApiAction();
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = {
      ticketsPerSenderPerHour: Number(f.get("ticketsPerSenderPerHour")),
      dmarcRefuseDomains: domainList(f.get("dmarcRefuseDomains")),
      inboundOpenPolicy: String(f.get("inboundOpenPolicy") ?? "anyone"),
      inboundOpenDomains: domainList(f.get("inboundOpenDomains")),
    };
    await run(
      () => api<EmailSettingsData>("PATCH", "/api/v1/email/settings", body),
      () => "Email settings saved.",
    );
  }
  const capErr = fieldError(failure, "ticketsPerSenderPerHour");
  const domErr = failure?.issues.find((i) => i.path.startsWith("dmarcRefuseDomains"))?.message;
  const openErr = failure?.issues.find((i) => i.path.startsWith("inboundOpenDomains"))?.message;
  return (
    <>
      <form onSubmit={submit} noValidate className={s.formGrid}>
        <Field
          id={`${id}-cap`}
          label="New tickets per sender per hour"
          error={capErr && `The cap ${capErr}.`}
          hint="More mail from that sender is held, not lost, and applied once the hour has room."
          hintClassName="muted small"
        >
          {(aria) => (
            <input
              {...aria}
              name="ticketsPerSenderPerHour"
              type="number"
              min={1}
              max={10000}
              defaultValue={settings.ticketsPerSenderPerHour}
            />
          )}
        </Field>
        <Field
          id={`${id}-dmarc`}
          label="Refuse mail failing DMARC from these domains"
          error={domErr && `A domain ${domErr}.`}
          hint="One domain per line, e.g. your customers' domains, so nobody can post into their tickets by forging their address."
          hintClassName="muted small"
        >
          {(aria) => (
            <textarea
              {...aria}
              name="dmarcRefuseDomains"
              rows={3}
              defaultValue={settings.dmarcRefuseDomains.join("\n")}
              spellCheck={false}
            />
          )}
        </Field>
        <Field
          id={`${id}-open`}
          label="Who may open tickets by email"
          hint="Mail from anyone else that would open a new ticket is refused and recorded; replies to existing tickets always get through."
          hintClassName="muted small"
        >
          {(aria) => (
            <select {...aria} name="inboundOpenPolicy" defaultValue={settings.inboundOpenPolicy}>
              <option value="anyone">Anyone</option>
              <option value="known">Only people who already have an account</option>
              <option value="domains">Only senders of the domains below</option>
            </select>
          )}
        </Field>
        <Field
          id={`${id}-open-domains`}
          label="Domains that may open tickets"
          error={openErr && `Domains: ${openErr}.`}
          hint="One domain per line; its subdomains are included. Used when only listed domains may open tickets."
          hintClassName="muted small"
        >
          {(aria) => (
            <textarea
              {...aria}
              name="inboundOpenDomains"
              rows={3}
              defaultValue={settings.inboundOpenDomains.join("\n")}
              spellCheck={false}
            />
          )}
        </Field>
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            {busy ? "Saving…" : "Save settings"}
          </button>
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} />
    </>
  );
}
