import type { Metadata } from "next";
import { AppHeader } from "@/components/app-header";
import { TicketWorkspace } from "@/components/tickets/ticket-workspace";
import { first } from "@/lib/list-params";
import { currentUser, requireUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";
import { CUSTOMER_VIEWS, STAFF_VIEWS } from "@/server/tickets/view-counts";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export async function generateMetadata({ searchParams }: { searchParams: SearchParams }): Promise<Metadata> {
  const user = await currentUser();
  if (!user) return { title: "Tickets" };
  const views = isStaff(user) ? STAFF_VIEWS : CUSTOMER_VIEWS;
  const view = first((await searchParams).view);
  // A saved view (by id) is named on the page itself; its title here would cost a database read.
  return {
    title: isStaff(user) ? (views.find((v) => v.key === view)?.label ?? (view ? "Tickets" : "My open")) : "My requests",
  };
}

export default async function Home({ searchParams }: { searchParams: SearchParams }) {
  const user = await requireUser({ returnTo: "/" });
  const sp = await searchParams;
  return (
    <>
      <AppHeader user={user} skipLinks={[{ href: "#ticket-list", label: "Skip to the tickets" }]} />
      <div className="page wide">
        <TicketWorkspace user={user} searchParams={sp} />
      </div>
    </>
  );
}
