"use client";

// What an edit form shows when its change was refused with 412 (decision 043): the resource changed
// since the form loaded it. It lists the fields that differ between the loaded and the current
// version, and lets the person re-apply their change on top of the current version or discard it.
// Never a silent overwrite.

export type ConflictField = { label: string; was: string; now: string };

export function EditConflict({
  fields,
  mine,
  onReapply,
  onDiscard,
  busy,
}: {
  fields: ConflictField[];
  /** The change that was refused, in words ("Priority: High"). */
  mine: string;
  onReapply: () => void;
  onDiscard: () => void;
  busy?: boolean;
}) {
  return (
    <div className="edit-conflict" role="alert" data-testid="edit-conflict">
      <p>
        <strong>Someone else changed this since you opened it.</strong> Your change ({mine}) was not saved.
      </p>
      {fields.length ? (
        <ul data-testid="edit-conflict-fields">
          {fields.map((f) => (
            <li key={f.label}>
              {f.label}: {f.was} → <strong>{f.now}</strong>
            </li>
          ))}
        </ul>
      ) : (
        <p>Nothing you can see here changed (a reply or a note may have been added).</p>
      )}
      <div className="inline-input">
        <button type="button" className="button" onClick={onReapply} disabled={busy}>
          Apply my change anyway
        </button>
        <button type="button" className="button subtle" onClick={onDiscard} disabled={busy}>
          Discard my change
        </button>
      </div>
    </div>
  );
}

/** The fields whose text differs between the version a form loaded and the current one, in the order given. */
export function changedFields(was: Record<string, string>, now: Record<string, string>): ConflictField[] {
  return Object.keys(now)
    .filter((label) => was[label] !== now[label])
    .map((label) => ({ label, was: was[label] ?? "—", now: now[label]! }));
}
