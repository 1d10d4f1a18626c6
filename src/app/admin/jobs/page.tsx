import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { DeadLetterTable } from "@/components/admin/dead-letters-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listOrgDeadLetters, ZListDeadLetters } from "@/server/jobs/manage-dead-letters";
import { WaitingInboundTable } from "@/components/admin/waiting-inbound";
import { listWaitingInbound, ZListInbound } from "@/server/email/inbound-admin";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Failed deliveries" };

export default async function JobsPage() {
  const user = await requireAdmin("/admin/jobs");
  const { data, inbound } = await withPageContext(user, async (scope) => ({
    data: (await listOrgDeadLetters(scope, ZListDeadLetters.parse({ limit: "200" }))).data,
    inbound: (await listWaitingInbound(scope, ZListInbound.parse({ limit: "200" }))).data,
  }));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Failed deliveries</h1>
        <p className="muted">
          Email notifications, reply emails to customers, webhook deliveries and incoming emails that failed every retry
          (an incoming email&apos;s original message stays stored). They wait here until you replay or drop them. Fix
          the cause first (the mail server, the receiver&apos;s URL): a replay sends each one once more, with the usual
          retries, and never sends again what was already delivered.
        </p>
      </div>
      <section className={s.section} aria-label="Failed deliveries">
        <DeadLetterTable rows={data} now={Date.now()} />
      </section>
      <section className={s.section} aria-labelledby="waiting-inbound-title">
        <h2 id="waiting-inbound-title">Held and failed incoming email</h2>
        <p className="muted">
          Mail over the hourly new-ticket cap per sender (Admin → Email) is held, not lost, and applied by itself at the
          time shown. Mail that failed every retry is listed above too, where you replay it. Download a message to see
          exactly what arrived.
        </p>
        <WaitingInboundTable rows={inbound} now={Date.now()} />
      </section>
    </>
  );
}
