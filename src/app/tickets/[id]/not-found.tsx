import Link from "next/link";
import { AppHeader } from "@/components/app-header";
import { currentUser } from "@/server/auth/page-session";

// The same answer for "does not exist", "another org's" and "not yours" (SPEC §4: no existence leak).
export default async function TicketNotFound() {
  const user = await currentUser();
  return (
    <>
      {user && !user.mustChangePassword ? <AppHeader user={user} /> : null}
      <main id="main" className="page narrow">
        <section className="card" aria-labelledby="nf-title">
          <h1 id="nf-title">Ticket not found</h1>
          <p className="muted">This ticket does not exist, or you do not have access to it.</p>
          <p>
            <Link href="/" className="button">
              Back to tickets
            </Link>
          </p>
        </section>
      </main>
    </>
  );
}
