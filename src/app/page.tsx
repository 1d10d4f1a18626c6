import { AppHeader, ROLE_LABELS } from "@/components/app-header";
import { requireUser, type PageUser } from "@/server/auth/page-session";

// What each role does next; the ticket workspace, portal and admin screens land here in later issues.
function nextStep(user: PageUser): { lead: string; detail: string } {
  switch (user.role) {
    case "admin":
      return {
        lead: `You administer ${user.org.name}.`,
        detail:
          "From here you will manage users, SLA policies and business hours, webhooks, feature flags and the audit log, and work tickets alongside your agents.",
      };
    case "agent":
      return {
        lead: `You answer tickets for ${user.org.name}.`,
        detail:
          "Your queues (My open, Unassigned, Breaching soon, All, Solved) and ticket search will appear here, with SLA timers on every ticket.",
      };
    case "customer":
      return {
        lead: `You get help from ${user.org.name}.`,
        detail: "Your tickets will be listed here: open a new request, follow the replies and answer the support team.",
      };
  }
}

export default async function Home() {
  const user = await requireUser({ returnTo: "/" });
  const step = nextStep(user);
  return (
    <>
      <AppHeader user={user} />
      <main className="page">
        <section className="card" aria-labelledby="workspace-title">
          <p className="eyebrow">
            {ROLE_LABELS[user.role]} · {user.org.name}
          </p>
          <h1 id="workspace-title">Your workspace</h1>
          <p className="lead">
            Welcome, {user.name}. {step.lead}
          </p>
          <p className="muted">{step.detail}</p>
        </section>
      </main>
    </>
  );
}
