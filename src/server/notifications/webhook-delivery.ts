import "server-only";
import { createHmac } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { withTenant } from "../db/tenant";
import { webhookDeliveries, webhooks } from "../db/schema/notifications";
import { isFeatureEnabled } from "../flags/flags";
import { logger } from "../observability/logger";
import { guardedFetch } from "../outbound/guarded-fetch";
import { outboundRefusal } from "../outbound/guard";

export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * X-Beacon-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret>.
 * The timestamp (X-Beacon-Timestamp, unix seconds) is inside the signature, so a receiver that
 * rejects old timestamps (e.g. > 5 minutes) is safe against replays.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export class WebhookDeliveryError extends Error {}

/** A delivery's last_error when the feature switch kept it from being sent. */
export const WEBHOOKS_SWITCHED_OFF = "not sent: webhooks were switched off (feature webhooks)";

/**
 * Delivers one webhook delivery row. Any 2xx is success (recorded once; a repeated job finds it
 * done); anything else records the attempt and throws, so pg-boss retries with exponential backoff
 * and jitter, then moves the job to webhook-dead.
 * A receiver the outbound guard refuses (a private, loopback or metadata address, also when the
 * name changed its answer since the URL was saved) is never reached: the attempt is recorded, the
 * delivery is marked dead at once ("refused: …" in last_error) and the job completes, as a retry
 * would be refused again.
 * With webhooks switched off for the org (feature `webhooks`) nothing is sent and the job
 * completes ("disabled", no retry): the delivery is marked dead with the reason in last_error, so
 * it is not sent later when the feature comes back (a receiver would get stale events in a burst).
 */
export async function handleWebhook(job: {
  orgId: string;
  deliveryId: string;
}): Promise<"delivered" | "skipped" | "disabled" | "refused"> {
  const d = await withTenant(job.orgId, async (tx) => {
    if (!(await isFeatureEnabled(tx, job.orgId, "webhooks"))) {
      await tx
        .update(webhookDeliveries)
        .set({ status: "dead", lastError: WEBHOOKS_SWITCHED_OFF })
        .where(
          and(eq(webhookDeliveries.id, job.deliveryId), sql`${webhookDeliveries.status} in ('pending', 'failed')`),
        );
      return "disabled" as const;
    }
    const [row] = await tx
      .select({
        id: webhookDeliveries.id,
        status: webhookDeliveries.status,
        event: webhookDeliveries.event,
        payload: webhookDeliveries.payload,
        url: webhooks.url,
        secret: webhooks.secret,
        active: webhooks.active,
        // One ticket's deliveries to one webhook go out in event order: an earlier one still to be sent holds this one back.
        waitsFor: sql<string | null>`(select e.id::text from webhook_deliveries e
          where e.org_id = ${webhookDeliveries.orgId} and e.webhook_id = ${webhookDeliveries.webhookId} and e.ticket_id = ${webhookDeliveries.ticketId}
            and e.status in ('pending', 'failed') and (e.occurred_at, e.id) < (${webhookDeliveries.occurredAt}, ${webhookDeliveries.id})
          order by e.occurred_at limit 1)`,
      })
      .from(webhookDeliveries)
      .innerJoin(
        webhooks,
        and(eq(webhooks.orgId, webhookDeliveries.orgId), eq(webhooks.id, webhookDeliveries.webhookId)),
      )
      .where(eq(webhookDeliveries.id, job.deliveryId));
    return row;
  });
  if (d === "disabled") {
    logger().info(
      { job: "webhook", event: "webhook_skipped", orgId: job.orgId, deliveryId: job.deliveryId },
      "webhook not sent: webhooks are switched off",
    );
    return d;
  }
  if (!d || d.status === "succeeded" || d.status === "dead" || !d.active) return "skipped";
  if (d.waitsFor) {
    // Not an attempt: nothing is recorded on the row; the job is retried (with backoff) until the earlier one is sent or dead.
    logger().info(
      { job: "webhook", deliveryId: d.id, waitsFor: d.waitsFor },
      "webhook delivery waits for an earlier event of its ticket",
    );
    throw new WebhookDeliveryError(`waiting for the earlier delivery ${d.waitsFor} of the same ticket`);
  }
  const body = JSON.stringify({ id: d.id, ...d.payload });
  const timestamp = Math.floor(Date.now() / 1000);
  let status: number | null = null;
  let error: string | null = null;
  let refused = false;
  try {
    const res = await guardedFetch(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Beacon-Webhooks/1",
        "x-beacon-event": d.event,
        "x-beacon-delivery": d.id,
        "x-beacon-timestamp": String(timestamp),
        "x-beacon-signature": signWebhook(d.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
  } catch (err) {
    const refusal = outboundRefusal(err);
    refused = refusal !== undefined;
    error = refusal ? refusal.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  await withTenant(job.orgId, (tx) =>
    tx
      .update(webhookDeliveries)
      .set({
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastStatusCode: status,
        lastError: error,
        status: refused ? "dead" : error ? "failed" : "succeeded",
        deliveredAt: error ? null : sql`now()`,
      })
      .where(eq(webhookDeliveries.id, d.id)),
  );
  if (refused) {
    logger().warn(
      { job: "webhook", event: "webhook_refused", orgId: job.orgId, deliveryId: d.id, err: error },
      "webhook not sent: the outbound guard refused its address; not retried",
    );
    return "refused";
  }
  if (error) {
    logger().warn({ job: "webhook", deliveryId: d.id, status, err: error }, "webhook delivery failed; will retry");
    throw new WebhookDeliveryError(error);
  }
  return "delivered";
}

export async function markWebhookDead(job: { orgId: string; deliveryId: string }): Promise<void> {
  await withTenant(job.orgId, (tx) =>
    tx
      .update(webhookDeliveries)
      .set({ status: "dead" })
      .where(and(eq(webhookDeliveries.id, job.deliveryId), sql`${webhookDeliveries.status} <> 'succeeded'`)),
  );
  logger().error({ job: "webhook", deliveryId: job.deliveryId }, "webhook delivery dead-lettered after retries");
}
