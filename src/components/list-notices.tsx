import Link from "next/link";
import type { ReactNode } from "react";

/**
 * What a list page says above its rows (decision 059): why the list is not shown (bad filters, with
 * a link back to the whole list), or that its page link was stale and this is the first page.
 */
export function ListNotices(props: {
  error: string | null;
  notice: string | null;
  reset: { href: string; label: ReactNode };
}) {
  const { error, notice, reset } = props;
  return (
    <>
      {error ? (
        <p className="error" role="alert">
          {error} <Link href={reset.href}>{reset.label}</Link>
        </p>
      ) : null}
      {notice ? (
        <p className="notice" role="alert">
          {notice}
        </p>
      ) : null}
    </>
  );
}
