import type { Metadata } from "next";
import Link from "next/link";
import s from "@/components/admin/admin.module.css";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "./require-admin";
import { listFlags } from "@/server/flags/flags";
import { listPolicies } from "@/server/sla-policies/manage-policies";
import { listUsers, ZListUsers } from "@/server/users/list-users";
import { listWebhooks } from "@/server/webhooks/manage-webhooks";
import { ADMIN_QUEUES, listDeadLetters } from "@/server/jobs/dead-letters";
import { allPages } from "@/server/core/list-page";
import { listFields } from "@/server/fields/manage-fields";

export const metadata: Metadata = { title: "Administration" };

export default async function AdminOverview() {
  const user = await requireAdmin("/admin");
  const d = await withPageContext(user, async (scope) => ({
    users: await listUsers(scope, ZListUsers.parse({ limit: "100" })),
    policies: (await listPolicies(scope)).data,
    webhooks: await allPages((page) => listWebhooks(scope, page)),
    flags: (await listFlags(scope)).data,
    fields: (await listFields(scope)).data.length,
  }));
  const dead = (await listDeadLetters({ orgId: user.orgId, queues: ADMIN_QUEUES, limit: 100 })).length;
  const people = `${d.users.data.length}${d.users.nextCursor ? "+" : ""}`;
  const blocked = d.users.data.filter((u) => u.blocked).length;
  const off = d.flags.filter((f) => !f.enabled);
  const tiles = [
    {
      href: "/admin/users",
      title: "Users",
      text: "Invite people, change roles, block, sign out, reset passwords.",
      stat: `${people} people${blocked ? `, ${blocked} blocked` : ""}`,
    },
    {
      href: "/admin/sla",
      title: "SLA policies",
      text: "Targets per priority, business hours, holidays and pauses.",
      stat: `${d.policies.length} of 4 priorities covered`,
    },
    {
      href: "/admin/fields",
      title: "Ticket fields",
      text: "Your own fields on tickets: types, options, required, what customers see.",
      stat: d.fields ? `${d.fields} ${d.fields === 1 ? "field" : "fields"}` : "None yet",
    },
    {
      href: "/admin/webhooks",
      title: "Webhooks",
      text: "Signed events to your own systems, with delivery history.",
      stat: `${d.webhooks.filter((w) => w.active).length} active of ${d.webhooks.length}`,
    },
    {
      href: "/admin/jobs",
      title: "Failed deliveries",
      text: "Emails and webhook deliveries that failed every retry: replay or drop them.",
      stat: dead ? `${dead === 100 ? "100+" : dead} waiting` : "None",
    },
    {
      href: "/admin/flags",
      title: "Feature flags",
      text: "Switch features off for your organization.",
      stat: off.length ? `${off.length} switched off: ${off.map((f) => f.key).join(", ")}` : "Everything on",
    },
    {
      href: "/admin/audit",
      title: "Audit log",
      text: "Every change, hash-chained; verify it has not been tampered with.",
      stat: "Filter by action, entity or person",
    },
    {
      href: "/admin/export",
      title: "Export",
      text: "All tickets as CSV or NDJSON, streamed.",
      stat: d.flags.find((f) => f.key === "export")?.enabled === false ? "Switched off" : "Available",
    },
    {
      href: "/dashboard",
      title: "SLA dashboard",
      text: "Breaches over time, what falls due next, open tickets by status and priority.",
      stat: "For agents and admins",
    },
  ];
  return (
    <>
      <div className={s.pageHead}>
        <h1>Administration</h1>
        <p className="muted">Settings of {user.org.name}.</p>
      </div>
      <ul className={s.tiles}>
        {tiles.map((t) => (
          <li key={t.href}>
            <section className={`card ${s.tile}`} aria-labelledby={`tile-${t.href.replaceAll("/", "-")}`}>
              <h2 id={`tile-${t.href.replaceAll("/", "-")}`}>
                <Link href={t.href}>{t.title}</Link>
              </h2>
              <p>{t.text}</p>
              <p className={s.tileStat}>{t.stat}</p>
            </section>
          </li>
        ))}
      </ul>
    </>
  );
}
