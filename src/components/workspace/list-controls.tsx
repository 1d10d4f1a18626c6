"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { typingIn } from "../shortcuts";
import { useHydrated } from "../use-hydrated";

export const DENSITY_COOKIE = "beacon_density";

/** Compact or comfortable ticket rows (UI review 3), kept in a cookie so the server renders the choice. */
export function DensityToggle({ compact }: { compact: boolean }) {
  const router = useRouter();
  // The choice shows at once (the rows change class here); the refresh then renders it on the server too.
  const [on, setOn] = useState(compact);
  const hydrated = useHydrated();
  useEffect(() => setOn(compact), [compact]);
  function toggle() {
    const next = !on;
    document.cookie = `${DENSITY_COOKIE}=${next ? "compact" : "comfortable"}; path=/; max-age=31536000; samesite=lax`;
    document.querySelector(".workspace.staff")?.classList.toggle("compact", next);
    setOn(next);
    router.refresh();
  }
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key !== "d" || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return;
      if (document.querySelector("dialog[open]")) return;
      e.preventDefault();
      toggle();
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });
  return (
    <button
      type="button"
      className="button subtle density-toggle"
      aria-pressed={on}
      onClick={toggle}
      disabled={!hydrated}
      aria-keyshortcuts="d"
      data-testid="density-toggle"
    >
      Compact rows
    </button>
  );
}

/** On a phone the filters fold behind this button so the list comes first (UI review 6). */
export function FiltersToggle({ controls, filtered }: { controls: string; filtered: boolean }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    document.getElementById(controls)?.toggleAttribute("data-open", open);
  }, [open, controls]);
  return (
    <button
      type="button"
      className="button subtle filters-toggle"
      aria-expanded={open}
      aria-controls={controls}
      onClick={() => setOpen((o) => !o)}
      aria-keyshortcuts="v"
    >
      {open ? "Hide filters" : filtered ? "Filters (on)" : "Filters"}
    </button>
  );
}
