"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { SignOutButton } from "./sign-out-button";

/**
 * The header's profile menu (UI review 2): who you are on the button; account, two-factor,
 * password and sign out behind it. A disclosure (button + list), so Tab and Enter work as
 * everywhere; Escape or a click outside closes it.
 */
export function ProfileMenu({
  name,
  role,
  links,
}: {
  name: string;
  role: string;
  links: { href: string; label: string }[];
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    function onDown(e: MouseEvent) {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    }
    function onKey(e: KeyboardEvent) {
      if (e.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    }
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div className="profile-menu" ref={box}>
      <button
        ref={button}
        type="button"
        className="profile-button"
        aria-expanded={open}
        aria-controls={`${id}-menu`}
        aria-label={`Account menu: ${name}, ${role}`}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <span className="who">
          <span className="user-name" data-testid="user-name">
            {name}
          </span>
          <span className="role-badge" data-testid="user-role">
            {role}
          </span>
        </span>
        <span className="caret" aria-hidden="true">
          ▾
        </span>
      </button>
      <ul id={`${id}-menu`} className="profile-items card" hidden={!open}>
        {links.map((l) => (
          <li key={l.href}>
            <Link href={l.href} onClick={() => setOpen(false)}>
              {l.label}
            </Link>
          </li>
        ))}
        <li>
          <SignOutButton className="menu-item-button" />
        </li>
      </ul>
    </div>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? "") : "")).toUpperCase();
}
