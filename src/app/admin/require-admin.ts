import "server-only";
import { notFound } from "next/navigation";
import { requireUser, type PageUser } from "@/server/auth/page-session";

/**
 * Admins only, for the /admin layout and each of its pages: Next renders a layout and its page
 * concurrently, so the page must not rely on the layout's check before it queries. Anyone else
 * gets the plain 404 of a page that does not exist (SPEC §4: no existence leak).
 */
export async function requireAdmin(returnTo: string): Promise<PageUser> {
  const user = await requireUser({ returnTo });
  if (user.role !== "admin") notFound();
  return user;
}
