"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { api } from "./api-client";

/**
 * The ETag of the resource a server-rendered card shows (decision 043), for its changes' If-Match.
 * Read once per render of the card's data (`stamp`: its updatedAt); when the resource has already
 * moved on (another updatedAt), the page is refreshed instead, so the tag always names the version
 * on screen. Undefined until known: a change sent before then goes without If-Match.
 */
export function useEtag(url: string | null, stamp: string | undefined): string | undefined {
  const router = useRouter();
  const [etag, setEtag] = useState<{ for: string; tag: string } | undefined>(undefined);
  useEffect(() => {
    if (!url || !stamp) return;
    let live = true;
    void api<{ updatedAt?: string }>("GET", url).then((r) => {
      if (!live || !r.ok) return;
      if (r.data.updatedAt === stamp && r.etag) setEtag({ for: `${url} ${stamp}`, tag: r.etag });
      else if (r.data.updatedAt !== stamp) router.refresh();
    });
    return () => {
      live = false;
    };
  }, [url, stamp, router]);
  return etag && etag.for === `${url} ${stamp}` ? etag.tag : undefined;
}
