"use client";

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { api, describeFailure } from "../api-client";
import c from "./context.module.css";

// Rating a solved ticket (issue 14 item 7, decision 051). Two uses: the public /rate/<token> page
// of the solve email's one-click links (`token`: each link changes the rating once, the answer
// carries the next one; the clicked rating is sent when the page opens in a browser, which mail
// scanners that only fetch the URL do not do), and the requester's own solved ticket in the portal.

type Satisfaction = components["schemas"]["Satisfaction"];
type LinkSatisfaction = components["schemas"]["LinkSatisfaction"];
type Rating = "good" | "bad";

const LABEL: Record<Rating, string> = { good: "Good, I'm satisfied", bad: "Bad, I'm unsatisfied" };

export function RatingForm({
  initial,
  token,
  ticketId,
  clicked,
}: {
  initial: Satisfaction;
  token?: string | null;
  ticketId?: string;
  clicked?: Rating | null;
}) {
  const id = useId().replace(/:/g, "");
  const [state, setState] = useState(initial);
  const [next, setNext] = useState<string | null | undefined>(token);
  const [choice, setChoice] = useState<Rating | null>(clicked ?? initial.rating);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string | null>(null);
  const sent = useRef(false);

  async function send(rating: Rating, comment?: string) {
    setBusy(true);
    setError(null);
    setStatus("");
    const body = comment ? { rating, comment } : { rating };
    const r =
      token !== undefined
        ? await api<LinkSatisfaction>("POST", `/api/v1/satisfaction/${next}`, body)
        : await api<Satisfaction>("PUT", `/api/v1/tickets/${ticketId}/satisfaction`, body);
    setBusy(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      return;
    }
    setState(r.data);
    if ("nextToken" in r.data) setNext((r.data as LinkSatisfaction).nextToken);
    setStatus(
      `Thank you: your rating is “${rating === "good" ? "Good" : "Bad"}”${comment ? " with your comment" : ""}.`,
    );
  }

  // The one click of the email: sent once, when the page opens in a browser.
  useEffect(() => {
    if (sent.current || !token || !clicked || !initial.open || initial.rating === clicked) return;
    sent.current = true;
    void send(clicked);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!choice) {
      setError("Choose Good or Bad.");
      return;
    }
    void send(choice, String(new FormData(e.currentTarget).get("comment") ?? "").trim() || undefined);
  }

  if (!state.open) return <p className="muted">This request can be rated once it is solved.</p>;
  if (token !== undefined && !next) {
    return (
      <p data-testid="rating-status">
        This link has been used{state.rating ? `: your rating is “${state.rating === "good" ? "Good" : "Bad"}”` : ""}.
        To change it, use the link in your most recent email about the request, or sign in and open the request.
      </p>
    );
  }
  return (
    <form onSubmit={submit} className={c.form} data-testid="rating-form">
      <fieldset>
        <legend>How would you rate the support you received?</legend>
        {(["good", "bad"] as const).map((r) => (
          <label key={r} className={c.check}>
            <input type="radio" name="rating" value={r} checked={choice === r} onChange={() => setChoice(r)} />{" "}
            {LABEL[r]}
          </label>
        ))}
      </fieldset>
      <label htmlFor={`${id}-comment`}>Comment (optional)</label>
      <textarea id={`${id}-comment`} name="comment" rows={3} maxLength={2000} defaultValue={state.comment} />
      <button type="submit" className="button primary" disabled={busy}>
        {state.rating ? "Update rating" : "Send rating"}
      </button>
      <p role="status" data-testid="rating-status">
        {status ||
          (state.rating
            ? `Your rating: ${state.rating === "good" ? "Good" : "Bad"}${state.comment ? ` (“${state.comment}”)` : ""}.`
            : "")}
      </p>
      <div role="alert">{error ? <p className="error">{error}</p> : null}</div>
    </form>
  );
}
