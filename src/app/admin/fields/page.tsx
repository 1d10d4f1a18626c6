import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { FieldsAdmin, NewFieldForm } from "@/components/admin/fields-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listFields } from "@/server/fields/manage-fields";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Ticket fields" };

export default async function FieldsPage() {
  const user = await requireAdmin("/admin/fields");
  const fields = await withPageContext(user, async (scope) => (await listFields(scope)).data);
  return (
    <>
      <div className={s.pageHead}>
        <h1>Ticket fields</h1>
        <p className="muted">
          Your own fields on every ticket: shown on the new-ticket forms and the ticket side panel, filterable in lists
          and views (cf.key), and exported as columns.
        </p>
      </div>
      <section className="card" aria-labelledby="fields-title">
        <div className={s.section}>
          <h2 id="fields-title">Fields</h2>
          <FieldsAdmin fields={fields} />
        </div>
      </section>
      <section className="card" aria-labelledby="new-field-title">
        <div className={s.section}>
          <h2 id="new-field-title">New field</h2>
          <NewFieldForm />
        </div>
      </section>
    </>
  );
}
