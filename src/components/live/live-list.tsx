"use client";

import { useRouter } from "next/navigation";
import { useDebounced, useLive } from "./use-live";

/** Staff list pages: reload the list and counts (server data, no full page load) when a ticket changes. */
export function LiveList() {
  const router = useRouter();
  const refresh = useDebounced(() => router.refresh(), 1_000);
  useLive("/api/live", { onTicket: refresh });
  return null;
}
