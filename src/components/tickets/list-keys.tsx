"use client";

import { useEffect } from "react";
import { toggleFocusedRow } from "./bulk-actions";

const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

/**
 * Keyboard shortcuts for a ticket list: j / k move to the next / previous ticket (Enter opens
 * it, as any link), Shift+X selects or unselects it for a bulk change (plain x closes a workspace
 * tab), "/" jumps to search. Ignored while typing in a field.
 */
export function ListKeys({ searchId }: { searchId: string }) {
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
      if (e.key === "/") {
        const search = document.getElementById(searchId);
        if (search) {
          e.preventDefault();
          search.focus();
        }
        return;
      }
      if (e.key === "X" && e.shiftKey) {
        if (toggleFocusedRow()) e.preventDefault();
        return;
      }
      if (e.key !== "j" && e.key !== "k") return;
      const links = [...document.querySelectorAll<HTMLAnchorElement>("[data-row-link]")];
      if (links.length === 0) return;
      e.preventDefault();
      const at = links.indexOf(document.activeElement as HTMLAnchorElement);
      const next = at === -1 ? 0 : Math.min(links.length - 1, Math.max(0, at + (e.key === "j" ? 1 : -1)));
      links[next]!.focus();
      links[next]!.scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [searchId]);
  return null;
}
