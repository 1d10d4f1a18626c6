import type { Metadata } from "next";
import Link from "next/link";
import { RatingForm } from "@/components/tickets/rating-form";
import { AppError } from "@/server/core/errors";
import { ratingByLink } from "@/server/csat/ratings";

// The one-click rating page of the solve email (issue 14 item 7, decision 051). No sign-in: the
// signed link is the credential. The token is in the URL: keep it out of Referer and indexes.
export const metadata: Metadata = {
  title: "Rate your request",
  referrer: "no-referrer",
  robots: { index: false, follow: false },
};

export default async function RatePage({
  params,
  searchParams,
}: {
  params: Promise<{ token: string }>;
  searchParams: Promise<{ rating?: string | string[] }>;
}) {
  const { token } = await params;
  const { rating } = await searchParams;
  const clicked = rating === "good" || rating === "bad" ? rating : null;
  let data = null;
  try {
    data = await ratingByLink(token);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
  }
  return (
    <main id="main" className="auth-page">
      <div className="auth-brand" aria-hidden="true">
        <span className="logo-mark" /> Beacon
      </div>
      <section className="card auth-card" aria-labelledby="rate-title">
        {data ? (
          <>
            <h1 id="rate-title">Rate request #{data.ticketNumber}</h1>
            <p className="muted">{data.subject}</p>
            <RatingForm initial={data} token={data.nextToken} clicked={clicked} />
          </>
        ) : (
          <>
            <h1 id="rate-title">This rating link is not valid</h1>
            <p className="muted">
              Use the link in your most recent email about the request, or <Link href="/login">sign in</Link> to rate it
              from your requests.
            </p>
          </>
        )}
      </section>
    </main>
  );
}
