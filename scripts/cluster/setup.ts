// Orgs for the cluster run, made the way production makes them: bootstrapOrg (what
// `npm run bootstrap` runs), then everything else through the API behind the proxy — the admin
// redeems the setup link, invites agents and customers with passwords, sets short SLA targets and
// subscribes a webhook; every user gets an API token from POST /auth/token.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { HttpClient, type Res } from "./client";

export type Role = "admin" | "agent" | "customer";
export type ClusterUser = { id: string; email: string; name: string; role: Role; token: string; orgIdx: number };
export type ClusterOrg = {
  idx: number;
  id: string;
  slug: string;
  admin: ClusterUser;
  agents: ClusterUser[];
  customers: ClusterUser[];
  webhook: { id: string; secret: string };
};

/**
 * Wall-clock targets in minutes, short enough that warnings and breaches happen during the run.
 * The long run gets somewhat longer ones: with every ticket breaching every metric within a few
 * minutes, the notification email outgrows what two workers can deliver (see decision 019).
 */
export type SlaTargets = Record<
  "urgent" | "high" | "normal" | "low",
  { firstResponseMinutes: number; resolveMinutes: number }
>;
export const CLUSTER_SLA: SlaTargets = {
  urgent: { firstResponseMinutes: 1, resolveMinutes: 2 },
  high: { firstResponseMinutes: 1, resolveMinutes: 2 },
  normal: { firstResponseMinutes: 1, resolveMinutes: 2 },
  low: { firstResponseMinutes: 1, resolveMinutes: 3 },
};
export const CLUSTER_SLA_FULL: SlaTargets = {
  urgent: { firstResponseMinutes: 2, resolveMinutes: 5 },
  high: { firstResponseMinutes: 2, resolveMinutes: 6 },
  normal: { firstResponseMinutes: 3, resolveMinutes: 8 },
  low: { firstResponseMinutes: 4, resolveMinutes: 10 },
};
export const WARNING_LEAD_MINUTES = 1;
export const WEBHOOK_EVENTS = ["sla.warning", "sla.breach", "ticket.created"];

function must(r: Res, what: string, status = [200, 201]): Record<string, unknown> {
  if (!status.includes(r.status)) {
    throw new Error(`setup: ${what} answered ${r.status || r.error} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  return r.body as Record<string, unknown>;
}

export async function createClusterOrgs(opts: {
  proxyUrl: string;
  databaseUrl: string;
  run: string;
  orgs: number;
  agents: number;
  customers: number;
  webhookUrl: string;
  sla: SlaTargets;
}): Promise<ClusterOrg[]> {
  const http = new HttpClient(opts.proxyUrl, "127.0.0.2");
  const password = `cluster-${randomBytes(12).toString("base64url")}`;
  try {
    const out: ClusterOrg[] = [];
    for (let idx = 0; idx < opts.orgs; idx++) {
      const slug = `cluster-${opts.run}-${idx + 1}`;
      const boot = await bootstrapOrg({
        name: `Cluster ${opts.run} org ${idx + 1}`,
        adminEmail: `admin@${slug}.test`,
        slug,
      });
      must(
        await http.request("POST", "/api/v1/auth/setup", { body: { token: boot.setupToken, password } }),
        "setup link",
      );
      const adminToken = await grant(http, boot.admin.email, password);
      const admin: ClusterUser = {
        id: boot.admin.id,
        email: boot.admin.email,
        name: boot.admin.name,
        role: "admin",
        token: adminToken,
        orgIdx: idx,
      };

      const invite = async (role: Role, n: number): Promise<ClusterUser> => {
        const email = `${role}${n}@${slug}.test`;
        const name = `${role[0]!.toUpperCase()}${role.slice(1)} ${n}`;
        const u = must(
          await http.request("POST", "/api/v1/users", { token: adminToken, body: { email, name, role, password } }),
          `create ${email}`,
        );
        return { id: String(u.id), email, name, role, token: await grant(http, email, password), orgIdx: idx };
      };
      const agents: ClusterUser[] = [];
      for (let n = 1; n <= opts.agents; n++) agents.push(await invite("agent", n));
      const customers: ClusterUser[] = [];
      for (let n = 1; n <= opts.customers; n++) customers.push(await invite("customer", n));

      const policies = must(
        await http.request("GET", "/api/v1/sla-policies", { token: adminToken }),
        "list SLA policies",
      ).data as { id: string; priority: keyof SlaTargets }[];
      for (const p of policies) {
        must(
          await http.request("PATCH", `/api/v1/sla-policies/${p.id}`, {
            token: adminToken,
            body: { ...opts.sla[p.priority], businessHours: false, calendar: null },
          }),
          `SLA policy ${p.priority}`,
        );
      }
      const hook = must(
        await http.request("POST", "/api/v1/webhooks", {
          token: adminToken,
          body: { url: opts.webhookUrl, events: WEBHOOK_EVENTS },
        }),
        "webhook",
      );
      out.push({
        idx,
        id: boot.org.id,
        slug,
        admin,
        agents,
        customers,
        webhook: { id: String(hook.id), secret: String(hook.secret) },
      });
    }
    await setWarningLead(
      opts.databaseUrl,
      out.map((o) => o.id),
    );
    return out;
  } finally {
    http.close();
  }
}

async function grant(http: HttpClient, email: string, password: string): Promise<string> {
  const r = must(await http.request("POST", "/api/v1/auth/token", { body: { email, password } }), `token for ${email}`);
  return String(r.token);
}

/** The org's SLA warning lead time has no API yet; set it as an operator would, in SQL. */
async function setWarningLead(url: string, orgIds: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("begin");
    await c.query("set local role beacon_system");
    await c.query(
      `update orgs set settings = settings || jsonb_build_object('slaWarningMinutes', $1::int) where id = any($2::uuid[])`,
      [WARNING_LEAD_MINUTES, orgIds],
    );
    await c.query("commit");
  } finally {
    await c.end();
  }
}
