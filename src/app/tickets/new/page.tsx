import type { Metadata } from "next";
import Link from "next/link";
import { AppHeader } from "@/components/app-header";
import { NewTicketForm } from "@/components/tickets/new-ticket-form";
import { attachmentUploadLimit } from "@/server/attachments/conversation-attachments";
import { withPageContext } from "@/server/auth/page-context";
import { requireUser } from "@/server/auth/page-session";
import { can } from "@/server/authz/permissions";
import { findUsers } from "@/server/users/lookup-users";
import { listFields } from "@/server/fields/manage-fields";

export const metadata: Metadata = { title: "New ticket" };

export default async function NewTicketPage() {
  const user = await requireUser({ returnTo: "/tickets/new" });
  const staff = can(user, "ticket.create.for_other_requester");
  const { customers, maxBytes, fields } = await withPageContext(user, async (scope) => ({
    customers: staff ? await findUsers(scope, { role: "customer" }) : [],
    maxBytes: await attachmentUploadLimit(scope),
    // Staff set every field; customers only the ones they see and may edit (the API refuses the rest).
    fields: (await listFields(scope)).data.filter((f) => staff || (f.customerVisible && f.customerEditable)),
  }));
  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page narrow-form">
        <p className="breadcrumb">
          <Link href="/">← {staff ? "All views" : "My requests"}</Link>
        </p>
        <section className="card" aria-labelledby="new-title">
          <h1 id="new-title">{staff ? "New ticket" : "New request"}</h1>
          <p className="muted">
            {staff
              ? "Open a ticket on a customer's behalf, or for yourself."
              : `Tell ${user.org.name} what you need. You will get replies here and by email.`}
          </p>
          <NewTicketForm
            staff={staff}
            customers={customers.map((c) => ({ id: c.id, name: c.name, email: c.email }))}
            upload={maxBytes === null ? null : { maxBytes }}
            fields={fields}
          />
        </section>
      </main>
    </>
  );
}
