import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { DeadLetterTable } from "@/components/admin/dead-letters-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listOrgDeadLetters, ZListDeadLetters } from "@/server/jobs/manage-dead-letters";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Failed deliveries" };

export default async function JobsPage() {
  const user = await requireAdmin("/admin/jobs");
  const { data } = await withPageContext(user, (scope) => listOrgDeadLetters(scope, ZListDeadLetters.parse({ limit: "200" })));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Failed deliveries</h1>
        <p className="muted">
          Email notifications, reply emails to customers, webhook deliveries and incoming emails that failed every retry (an incoming email&apos;s original message stays
          stored). They wait here until you replay or drop them. Fix the cause first
          (the mail server, the receiver&apos;s URL): a replay sends each one once more, with the usual retries, and never sends again what was
          already delivered.
        </p>
      </div>
      <section className={s.section} aria-label="Failed deliveries">
        <DeadLetterTable rows={data} now={Date.now()} />
      </section>
    </>
  );
}
