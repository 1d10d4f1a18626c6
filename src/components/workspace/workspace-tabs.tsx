"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { typingIn } from "../shortcuts";

export type TicketTab = { id: string; label: string };

const MAX_TABS = 8;
export const tabsKey = (userId: string) => `beacon:tabs:${userId}`;

function load(key: string): TicketTab[] {
  try {
    const v = JSON.parse(window.localStorage.getItem(key) ?? "[]") as unknown;
    return Array.isArray(v)
      ? v.filter((t): t is TicketTab => typeof t?.id === "string" && typeof t?.label === "string").slice(0, MAX_TABS)
      : [];
  } catch {
    return [];
  }
}

function save(key: string, tabs: TicketTab[]) {
  try {
    window.localStorage.setItem(key, JSON.stringify(tabs));
  } catch {
    // storage off: tabs last for this page only
  }
}

/**
 * Tickets open side by side in the workspace (issue 14 item 8): each ticket page opened becomes a
 * tab (kept in this browser, per user); [ and ] switch to the previous / next tab, x closes the
 * current one. The list is the first, fixed tab.
 */
export function WorkspaceTabs({ userId, current }: { userId: string; current?: TicketTab }) {
  const router = useRouter();
  const key = tabsKey(userId);
  const [tabs, setTabs] = useState<TicketTab[]>([]);

  useEffect(() => {
    let list = load(key);
    if (current) {
      const at = list.findIndex((t) => t.id === current.id);
      if (at === -1) list = [...list, current].slice(-MAX_TABS);
      else list = list.map((t) => (t.id === current.id ? current : t));
      save(key, list);
    }
    setTabs(list);
  }, [key, current?.id, current?.label]); // eslint-disable-line react-hooks/exhaustive-deps

  function close(id: string) {
    const at = tabs.findIndex((t) => t.id === id);
    const next = tabs.filter((t) => t.id !== id);
    save(key, next);
    setTabs(next);
    if (current?.id === id) {
      const to = next[Math.min(at, next.length - 1)];
      router.push(to ? `/tickets/${to.id}` : "/");
    }
  }

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return;
      if (document.querySelector("dialog[open]")) return;
      if (e.key === "x" && current) {
        e.preventDefault();
        close(current.id);
        return;
      }
      if (e.key !== "[" && e.key !== "]") return;
      if (tabs.length === 0) return;
      e.preventDefault();
      const at = current ? tabs.findIndex((t) => t.id === current.id) : -1;
      // From the list, ] opens the first tab and [ the last; from a ticket, the neighbour (the list at either end).
      const to = e.key === "]" ? at + 1 : at === -1 ? tabs.length - 1 : at - 1;
      router.push(to < 0 || to >= tabs.length ? "/" : `/tickets/${tabs[to]!.id}`);
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  return (
    <nav className="workspace-tabs" aria-label="Open tickets" data-testid="workspace-tabs">
      <ul>
        <li className={current ? undefined : "active"}>
          <Link href="/" data-shortcut-home="" aria-current={current ? undefined : "page"} aria-keyshortcuts="u">
            Ticket list
          </Link>
        </li>
        {tabs.map((t) => (
          <li key={t.id} className={t.id === current?.id ? "active" : undefined} data-testid="workspace-tab">
            <Link href={`/tickets/${t.id}`} aria-current={t.id === current?.id ? "page" : undefined} title={t.label}>
              {t.label}
            </Link>
            <button type="button" className="tab-close" onClick={() => close(t.id)} aria-label={`Close tab ${t.label}`}>
              <span aria-hidden="true">×</span>
            </button>
          </li>
        ))}
      </ul>
      <p className="tabs-hint muted" aria-hidden="true">
        <kbd>[</kbd> <kbd>]</kbd> switch · <kbd>?</kbd> shortcuts
      </p>
    </nav>
  );
}
