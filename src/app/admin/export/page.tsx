import type { Metadata } from "next";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { ExportPanel } from "@/components/admin/export-panel";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "../require-admin";
import { isFeatureEnabled } from "@/server/flags/flags";

export const metadata: Metadata = { title: "Export" };

export default async function ExportPage() {
  const user = await requireAdmin("/admin/export");
  const enabled = await withPageContext(user, (scope) => isFeatureEnabled(scope.tx, scope.user.orgId, "export"));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Export</h1>
        <p className="muted">
          Download every ticket of your organization: CSV for spreadsheets (one row per ticket), or NDJSON with each
          ticket&apos;s whole conversation, internal notes included. For continuous syncing use the incremental API (
          <code>GET /api/v1/export/tickets/incremental</code>).
        </p>
      </div>
      <section className="card" aria-labelledby="export-title">
        <div className={s.section}>
          <h2 id="export-title">Ticket export</h2>
          {enabled ? (
            <ExportPanel />
          ) : (
            <p className="notice" role="note" data-testid="export-disabled">
              Export is switched off for this organization right now. An admin can turn it back on under{" "}
              <Link href="/admin/flags">Feature flags</Link> unless the operators switched it off for everyone.
            </p>
          )}
        </div>
      </section>
    </>
  );
}
