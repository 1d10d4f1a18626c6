"use client";

import { useRouter } from "next/navigation";
import { useId, useRef, useState, type FormEvent } from "react";
import { api, type ApiFailure } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback } from "../use-api-action";
import s from "./admin.module.css";
import { Field } from "../field";
import { ShownOnce } from "./shown-once";
import { EnumOptions } from "@/components/enum-options";
import { ROLE_KEYS, ROLE_LABELS } from "@/lib/ticket-labels";

type Created = {
  id: string;
  email: string;
  name: string;
  invited: boolean;
  inviteUrl: string | null;
  inviteExpiresAt: string | null;
};

const issueFor = (e: ApiFailure | null, path: string) =>
  e?.issues.find((i) => i.path === path || i.path.endsWith(`.${path}`))?.message;

/** Invite by email: the link is emailed, or — with no mail server configured — shown here once to hand over. */
export function InviteUserForm() {
  const router = useRouter();
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const [status, setStatus] = useState("");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = {
      email: String(form.get("email") ?? "").trim(),
      name: String(form.get("name") ?? "").trim(),
      role: String(form.get("role") ?? "agent"),
    };
    setPending(true);
    setFailure(null);
    setStatus("");
    setCreated(null);
    const r = await api<Created>("POST", "/api/v1/users", body);
    setPending(false);
    if (!r.ok) {
      setFailure(r.error);
      const bad = ["email", "name", "role"].find((p) => issueFor(r.error, p));
      if (bad) formRef.current?.querySelector<HTMLElement>(`[name="${bad}"]`)?.focus();
      return;
    }
    formRef.current?.reset();
    setCreated(r.data);
    setStatus(
      r.data.inviteUrl
        ? `${r.data.email} was added. Hand them the invitation link below.`
        : `Invitation emailed to ${r.data.email}.`,
    );
    router.refresh();
  }

  const emailErr = issueFor(failure, "email");
  const nameErr = issueFor(failure, "name");
  return (
    <>
      <form ref={formRef} onSubmit={submit} noValidate aria-describedby={`${id}-hint`}>
        <div className={s.formGrid}>
          <Field id={`${id}-email`} label="Email" error={emailErr && `Email ${emailErr}.`}>
            {(aria) => <input {...aria} name="email" type="email" required autoComplete="off" />}
          </Field>
          <Field id={`${id}-name`} label="Name" error={nameErr && `Name ${nameErr}.`}>
            {(aria) => <input {...aria} name="name" type="text" required autoComplete="off" maxLength={100} />}
          </Field>
          <div className="field">
            <label htmlFor={`${id}-role`}>Role</label>
            <select id={`${id}-role`} name="role" defaultValue="agent">
              <EnumOptions keys={ROLE_KEYS} labels={ROLE_LABELS} />
            </select>
          </div>
          <div className={s.formActions}>
            <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
              {pending ? "Inviting…" : "Send invitation"}
            </button>
          </div>
        </div>
        <p id={`${id}-hint`} className="hint" style={{ marginTop: "0.5rem" }}>
          They get a one-time link to choose their password; it works for 24 hours.
        </p>
      </form>
      <ActionFeedback status={status} failure={failure} />
      {created?.inviteUrl ? (
        <ShownOnce
          title="Invitation link — shown only once"
          label="Invitation link"
          value={created.inviteUrl}
          onDone={() => setCreated(null)}
          doneLabel="Done"
        >
          <p>
            No mail server is configured, so nothing was emailed. Send this link to {created.name} yourself, over a
            channel you trust.
            {created.inviteExpiresAt ? (
              <>
                {" "}
                It expires <LocalTime iso={created.inviteExpiresAt} />.
              </>
            ) : null}
          </p>
        </ShownOnce>
      ) : null}
    </>
  );
}
