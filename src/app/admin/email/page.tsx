import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import {
  AddAddressForm,
  AddressRows,
  ConnectMailboxForm,
  EmailSettingsForm,
  InboundSecretPanel,
  MailboxRows,
} from "@/components/admin/email-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listAddresses } from "@/server/email/addresses";
import { getEmailSettings } from "@/server/email/email-settings";
import { getInboundSecret } from "@/server/email/inbound-webhook";
import { listMailboxes } from "@/server/email/mailboxes";
import { EmailTemplateForm } from "@/components/admin/email-templates-admin";
import { listEmailTemplates, TEMPLATE_PLACEHOLDERS } from "@/server/email/templates";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Email" };

export default async function EmailAdminPage() {
  const user = await requireAdmin("/admin/email");
  const data = await withPageContext(user, async (scope) => ({
    addresses: (await listAddresses(scope)).data,
    mailboxes: (await listMailboxes(scope)).data,
    secret: await getInboundSecret(scope),
    settings: await getEmailSettings(scope),
    templates: (await listEmailTemplates(scope)).data,
  }));

  return (
    <>
      <div className={s.pageHead}>
        <h1>Email</h1>
        <p className="muted">
          Customers write to your support addresses; Beacon turns each conversation into one ticket and emails
          agents&apos; public replies back. Mail reaches Beacon by its SMTP receiver (point an MX or a forwarding rule
          at it), by an IMAP mailbox it fetches, or by your provider&apos;s inbound webhook.
        </p>
      </div>

      <section className="card" aria-labelledby="addresses-title">
        <div className={s.section}>
          <h2 id="addresses-title">Support addresses</h2>
          {data.addresses.length === 0 ? (
            <p className="muted">No support addresses yet.</p>
          ) : (
            <AddressRows addresses={data.addresses} />
          )}
          <h3>Add an address</h3>
          <AddAddressForm />
        </div>
      </section>

      <section className="card" aria-labelledby="mailboxes-title">
        <div className={s.section}>
          <h2 id="mailboxes-title">IMAP mailboxes</h2>
          <p className="muted">
            Beacon logs in and checks the folder before it saves a mailbox. The password is stored encrypted and never
            shown again.
          </p>
          {data.mailboxes.length === 0 ? (
            <p className="muted">No mailboxes connected.</p>
          ) : (
            <MailboxRows mailboxes={data.mailboxes} />
          )}
          <h3>Connect a mailbox</h3>
          <ConnectMailboxForm addresses={data.addresses} />
        </div>
      </section>

      <section className="card" aria-labelledby="webhook-title">
        <div className={s.section}>
          <h2 id="webhook-title">Provider webhook</h2>
          <p className="muted">
            Providers that deliver inbound mail over HTTP POST the raw message (
            <code>Content-Type: message/rfc822</code>) to <code>/api/v1/email/inbound</code> with{" "}
            <code>Authorization: Bearer &lt;secret&gt;</code>.
          </p>
          <InboundSecretPanel secret={data.secret} />
        </div>
      </section>

      <section className="card" aria-labelledby="templates-title">
        <div className={s.section}>
          <h2 id="templates-title">Emails to customers</h2>
          <p className="muted">
            Sent from the support address the ticket came in on, in the customer&apos;s thread.{" "}
            <code>{"{{account.claim_url}}"}</code> gives a customer who has no password yet a one-time link (24 hours)
            to choose one, and everyone else the sign-in page.
          </p>
          {data.templates.map((t) => (
            <EmailTemplateForm key={t.kind} template={t} placeholders={TEMPLATE_PLACEHOLDERS} />
          ))}
        </div>
      </section>

      <section className="card" aria-labelledby="email-settings-title">
        <div className={s.section}>
          <h2 id="email-settings-title">Incoming mail settings</h2>
          <EmailSettingsForm settings={data.settings} />
        </div>
      </section>
    </>
  );
}
