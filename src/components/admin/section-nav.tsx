"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import s from "./admin.module.css";

export type NavItem = { href: string; label: string };

/** The section's own navigation; the current page is marked for screen readers and by style. */
export function SectionNav({ label, items }: { label: string; items: NavItem[] }) {
  const pathname = usePathname();
  const listRef = useRef<HTMLUListElement>(null);
  // The longest matching prefix wins, so /admin does not stay "current" on /admin/users.
  const current = items
    .filter((i) => pathname === i.href || pathname.startsWith(`${i.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0]?.href;

  // On a phone the list is a sideways-scrolling strip: keep the current section in sight.
  useEffect(() => {
    const list = listRef.current;
    if (!list) return;
    const reveal = () => {
      const link = list.querySelector<HTMLElement>('[aria-current="page"]');
      if (!link || list.scrollWidth <= list.clientWidth) return;
      const l = link.getBoundingClientRect();
      const box = list.getBoundingClientRect();
      if (l.left < box.left || l.right > box.right) list.scrollLeft += l.left - box.left - 16;
    };
    reveal();
    // The strip appears when the window narrows (a rotated phone, a resized window).
    const ro = new ResizeObserver(reveal);
    ro.observe(list);
    return () => ro.disconnect();
  }, [current]);
  return (
    <nav className={s.nav} aria-label={label}>
      <p className={s.navTitle} aria-hidden="true">
        {label}
      </p>
      <ul ref={listRef} className={s.navList}>
        {items.map((i) => (
          <li key={i.href}>
            <Link href={i.href} className={s.navLink} aria-current={i.href === current ? "page" : undefined}>
              {i.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
