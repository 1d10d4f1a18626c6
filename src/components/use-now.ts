"use client";

import { useSyncExternalStore } from "react";

// One shared one-second clock for every live countdown on the page (one interval, not one per badge).
let current = 0;
let timer: ReturnType<typeof setInterval> | undefined;
const listeners = new Set<() => void>();

const wholeSecond = () => Math.floor(Date.now() / 1000) * 1000;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    current = wholeSecond();
    timer = setInterval(() => {
      current = wholeSecond();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

// Stable within a second, so React sees the same snapshot on consecutive reads.
const snapshot = () => (timer ? current : wholeSecond());

/**
 * The current time, ticking every second. Server rendering and hydration use `serverNow` (the
 * instant the server rendered), so the first client render matches the HTML exactly; the browser's
 * clock takes over right after.
 */
export function useNow(serverNow: number): number {
  return useSyncExternalStore(subscribe, snapshot, () => serverNow);
}
