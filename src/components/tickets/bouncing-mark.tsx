/**
 * "Bouncing" beside an address a delivery report said is failing (decision 035): replies and
 * notifications are not emailed to it until that person writes in again. Staff only; the reason
 * (the report's status and diagnostic) is in the tooltip and for screen readers.
 */
export function BouncingMark({ reason }: { reason: string }) {
  return (
    <span className="bouncing-mark" data-testid="bouncing" title={`Mail to this address bounces: ${reason}`}>
      bouncing<span className="visually-hidden">: {reason}</span>
    </span>
  );
}
