"use client";

import { useEffect, useId, useState } from "react";
import Link from "next/link";
import type { components } from "@/lib/api-types";
import { api } from "../api-client";
import s from "./admin.module.css";

type Report = components["schemas"]["ImportReport"];

const nf = new Intl.NumberFormat();
const TYPE_TEXT: Record<string, string> = {
  ticket_field: "Ticket fields",
  group: "Groups",
  organization: "Companies",
  user: "People",
  group_membership: "Group memberships",
  ticket: "Tickets",
  comment: "Comments",
  attachment: "Attachments",
  sla_event: "SLA events",
  ticket_metric: "Ticket metrics",
  metric_set: "Ticket metrics (sideloaded)",
  satisfaction_rating: "Satisfaction ratings",
};
/** A field's value as text, cut short: the report is for spotting a difference; the ticket link shows the whole. */
function show(v: unknown): string {
  const text = v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v);
  // Cut by code points, not UTF-16 units, so an emoji is never halved into a replacement character.
  const chars = Array.from(text);
  return chars.length > 120 ? `${chars.slice(0, 119).join("")}…` : text;
}

/**
 * One import's check report, readable: per record type what the source held and what became of it
 * with each skip reason, the sampled tickets (linked) with every field that differs, the first
 * skipped records, and the same report as a text download.
 */
export function ImportReportView({ importId, state }: { importId: string; state?: string }) {
  const id = useId();
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void api<Report>("GET", `/api/v1/imports/${importId}/report`).then((r) => {
      if (!live) return;
      if (r.ok) {
        setReport(r.data);
        setError(null);
      } else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [importId, state]);

  if (error)
    return (
      <div role="alert" className={s.alert}>
        <p className="error">{error}</p>
      </div>
    );
  if (!report) return <p className="muted">Loading the report…</p>;
  const sample = report.ticketSample;
  const differing = sample.filter((t) => t.compared && Object.values(t.compared).some((c) => !c.equal));
  return (
    <section className="card" aria-labelledby={`${id}-title`} data-testid="import-report">
      <div className={s.section}>
        <div className={s.sectionHead}>
          <h2 id={`${id}-title`}>Check report</h2>
          <a className="button" href={`/api/v1/imports/${importId}/report?format=text`} download>
            Download report
          </a>
        </div>
        {report.state === "cancelled" ? (
          <p className="notice" role="note">
            The import was cancelled: these are the numbers of what it imported before it stopped.
          </p>
        ) : report.state !== "done" ? (
          <p className="notice" role="note">
            The import is not finished: these are the numbers so far. The ticket comparison is made when it ends.
          </p>
        ) : null}
        <div className={s.tableWrap}>
          <table className={s.table}>
            <caption>What the export held, and what became of it</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col" className={s.num}>
                  In the export
                </th>
                <th scope="col" className={s.num}>
                  Imported
                </th>
                <th scope="col" className={s.num}>
                  Already there
                </th>
                <th scope="col" className={s.num}>
                  Matched
                </th>
                <th scope="col">Skipped, and why</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(report.counts).map(([type, c]) => (
                <tr key={type}>
                  <th scope="row">{TYPE_TEXT[type] ?? type}</th>
                  <td className={s.num}>{nf.format(c.source)}</td>
                  <td className={s.num}>{nf.format(c.imported)}</td>
                  <td className={s.num}>{nf.format(c.existing)}</td>
                  <td className={s.num}>{nf.format(c.matched)}</td>
                  <td>
                    {Object.keys(c.skipped).length === 0 && !c.notes && !c.bytes ? "—" : null}
                    <ul className={s.reasons}>
                      {Object.entries(c.skipped).map(([why, n]) => (
                        <li key={why}>
                          {nf.format(n)} {why}
                        </li>
                      ))}
                      {Object.entries(c.notes ?? {}).map(([what, n]) => (
                        <li key={what} className="muted">
                          Note: {nf.format(n)} {what}
                        </li>
                      ))}
                      {c.bytes ? (
                        <li className="muted">
                          {nf.format(c.bytes.imported)} of {nf.format(c.bytes.source)} bytes stored
                        </li>
                      ) : null}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        <h3>Sample of imported tickets</h3>
        {sample.length === 0 ? (
          <p className="muted">No tickets sampled yet.</p>
        ) : (
          <>
            <p>
              {sample.length} tickets compared field by field with the export:{" "}
              {differing.length === 0 ? "all fields match." : `${differing.length} with differences, listed below.`}
            </p>
            <ul className={s.reasons} data-testid="import-sample">
              {sample.map((t) => {
                const diffs = Object.entries(t.compared ?? {}).filter(([, c]) => !c.equal);
                return (
                  <li key={t.sourceId}>
                    <Link href={`/tickets/${t.ticketId}`}>
                      Ticket {show(t.source.number)}: {show(t.source.subject)}
                    </Link>{" "}
                    <span className="muted">(source id {t.sourceId})</span>
                    {diffs.length ? (
                      <ul>
                        {diffs.map(([field, c]) => (
                          <li key={field}>
                            {field}: export {show(c.source)}, Beacon {show(c.beacon)}
                          </li>
                        ))}
                      </ul>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </>
        )}

        {report.skippedSample.length ? (
          <details className={s.data}>
            <summary>First {report.skippedSample.length} skipped records</summary>
            <ul className={s.reasons}>
              {report.skippedSample.map((k, i) => (
                <li key={i}>
                  {TYPE_TEXT[k.type] ?? k.type} {k.sourceId ?? ""} ({k.file}, record {k.record + 1}): {k.reason}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </div>
    </section>
  );
}
