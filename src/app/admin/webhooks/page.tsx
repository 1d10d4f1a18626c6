import type { Metadata } from "next";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { CreateWebhookForm, WebhookCard, type DeliveryData, type WebhookData } from "@/components/admin/webhooks-admin";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "../require-admin";
import { isFeatureEnabled } from "@/server/flags/flags";
import { listDeliveries, listWebhooks, WEBHOOK_EVENTS, ZListDeliveries } from "@/server/webhooks/manage-webhooks";
import { allPages } from "@/server/core/list-page";

export const metadata: Metadata = { title: "Webhooks" };

const RECENT = "5";

export default async function WebhooksPage() {
  const user = await requireAdmin("/admin/webhooks");
  const data = await withPageContext(user, async (scope) => {
    const enabled = await isFeatureEnabled(scope.tx, scope.user.orgId, "webhooks");
    const hooks = await allPages((page) => listWebhooks(scope, page));
    const rows: { hook: WebhookData; deliveries: DeliveryData[]; nextCursor: string | null }[] = [];
    for (const hook of hooks) {
      const d = await listDeliveries(scope, hook.id, ZListDeliveries.parse({ limit: RECENT }));
      rows.push({ hook, deliveries: d.data, nextCursor: d.nextCursor });
    }
    return { enabled, rows };
  });

  return (
    <>
      <div className={s.pageHead}>
        <h1>Webhooks</h1>
        <p className="muted">
          Beacon POSTs a signed JSON event to each active webhook. Verify the <code>X-Beacon-Signature: sha256=…</code>{" "}
          header with the webhook&apos;s secret; any 2xx answer counts as delivered, anything else is retried with
          growing delays.
        </p>
      </div>

      {data.enabled ? (
        <section className="card" aria-labelledby="new-webhook-title">
          <div className={s.section}>
            <h2 id="new-webhook-title">Add a webhook</h2>
            <CreateWebhookForm events={[...WEBHOOK_EVENTS]} />
          </div>
        </section>
      ) : (
        <p className="notice" role="note" data-testid="webhooks-disabled">
          Webhooks are switched off for this organization, so new ones cannot be added. Turn them back on under{" "}
          <Link href="/admin/flags">Feature flags</Link>.
        </p>
      )}

      <section aria-labelledby="webhooks-title" className={s.section}>
        <h2 id="webhooks-title">Your webhooks</h2>
        {data.rows.length === 0 ? <p className="muted">No webhooks yet.</p> : null}
        {data.rows.map((r) => (
          <WebhookCard
            key={r.hook.id}
            hook={r.hook}
            deliveries={r.deliveries}
            nextCursor={r.nextCursor}
            events={[...WEBHOOK_EVENTS]}
          />
        ))}
      </section>
    </>
  );
}
