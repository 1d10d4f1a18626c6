import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { FeatureFlags } from "@/components/admin/feature-flags";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "../require-admin";
import { listFlags } from "@/server/flags/flags";

export const metadata: Metadata = { title: "Feature flags" };

export default async function FlagsPage() {
  const user = await requireAdmin("/admin/flags");
  const { data } = await withPageContext(user, (scope) => listFlags(scope));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Feature flags</h1>
        <p className="muted">
          Switch parts of Beacon off for your organization. A switched-off feature answers its API calls with 503 and
          its buttons disappear. Operators can also switch a feature off for every organization; those switches are
          locked here.
        </p>
      </div>
      <section className="card" aria-labelledby="flags-title">
        <h2 id="flags-title" className="visually-hidden">
          Features
        </h2>
        <FeatureFlags flags={data} />
      </section>
    </>
  );
}
