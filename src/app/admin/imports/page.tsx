import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { ImportsAdmin } from "@/components/admin/imports-admin";
import { withPageContext } from "@/server/auth/page-context";
import { ZListPage } from "@/server/core/list-page";
import { listImports } from "@/server/import/list-imports";
import { RUNNABLE_SOURCE_KINDS } from "@/server/import/run-import";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Import" };

export default async function ImportsPage() {
  const user = await requireAdmin("/admin/imports");
  const { data } = await withPageContext(user, (scope) => listImports(scope, ZListPage.parse({ limit: "50" })));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Import</h1>
        <p className="muted">
          Bring your history from another helpdesk: upload its export, and Beacon imports users, companies, groups,
          fields and tickets with their comments, keeping authors, times and statuses. Nothing is sent to anyone while
          it runs. An export uploaded twice writes nothing twice. When it is done, check the report: what was imported,
          what was skipped and why, and a sample of tickets compared field by field.
        </p>
      </div>
      <ImportsAdmin initial={data} sources={RUNNABLE_SOURCE_KINDS} now={Date.now()} />
    </>
  );
}
