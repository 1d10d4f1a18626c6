import type { components } from "@/lib/api-types";
import { LocalTime } from "../local-time";
import { RatingForm } from "./rating-form";

// The ticket page's satisfaction card (issue 14 item 7, decision 051): staff see the requester's
// rating; the requester rates their solved ticket here (the portal) or changes the rating.

type Satisfaction = components["schemas"]["Satisfaction"];

export function SatisfactionCard({
  satisfaction,
  staff,
  requester,
}: {
  satisfaction: Satisfaction;
  staff: boolean;
  requester: boolean;
}) {
  if (!satisfaction.open && !satisfaction.rating) return null;
  if (!staff && !requester) return null;
  return (
    <section className="card side-card" aria-labelledby="csat-title" data-testid="satisfaction">
      <h2 id="csat-title">Satisfaction</h2>
      {requester && !staff ? (
        <RatingForm initial={satisfaction} ticketId={satisfaction.ticketId} />
      ) : satisfaction.rating ? (
        <p data-testid="satisfaction-rating">
          Rated <strong>{satisfaction.rating === "good" ? "Good" : "Bad"}</strong>
          {satisfaction.ratedAt ? (
            <>
              {" "}
              on <LocalTime iso={satisfaction.ratedAt} />
            </>
          ) : null}
          {satisfaction.comment ? <>: “{satisfaction.comment}”</> : null}
        </p>
      ) : (
        <p className="muted" data-testid="satisfaction-rating">
          Not rated yet.
        </p>
      )}
    </section>
  );
}
