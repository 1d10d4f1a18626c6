import type { ReactNode } from "react";

// One form field: its label, its control, an optional hint and the error the server gave for it,
// with the aria that ties them together (the label's htmlFor, aria-invalid, aria-describedby to the
// hint and the error), so every form says the same thing to a screen reader.

/** What a field's control carries: its id, and aria-invalid and aria-describedby when they apply. */
export type FieldAria = { id: string; "aria-invalid"?: true; "aria-describedby"?: string };

export const hintId = (id: string) => `${id}-hint`;
export const errorId = (id: string) => `${id}-err`;

/** The control's aria for a field with this id: described by its hint and (when set) its error, in that order. */
export function fieldAria(id: string, { hint, error }: { hint?: boolean; error?: boolean }): FieldAria {
  const describedBy = [hint ? hintId(id) : null, error ? errorId(id) : null].filter(Boolean).join(" ");
  return {
    id,
    ...(error ? { "aria-invalid": true as const } : {}),
    ...(describedBy ? { "aria-describedby": describedBy } : {}),
  };
}

type Props = {
  id: string;
  label: ReactNode;
  /** The server's issue with this field; nothing is shown (and the control is valid) when empty. */
  error?: ReactNode;
  hint?: ReactNode;
  /** The hint line's class ("hint" unless set). */
  hintClassName?: string;
  className?: string;
  labelClassName?: string;
  /** data-testid of the error line, where a test finds an issue by the path it names. */
  errorTestId?: string;
  /**
   * The control: a function given the aria to spread on it, or an element that carries its own
   * (a control described by more than its own error, e.g. a rule row's issues).
   */
  children: ((aria: FieldAria) => ReactNode) | ReactNode;
};

export function Field(props: Props) {
  const { id, label, error, hint, hintClassName = "hint", className, labelClassName, errorTestId, children } = props;
  const hasError = error !== undefined && error !== null && error !== false && error !== "";
  const aria = fieldAria(id, { hint: Boolean(hint), error: hasError });
  return (
    <div className={className ? `field ${className}` : "field"}>
      <label htmlFor={id} className={labelClassName}>
        {label}
      </label>
      {typeof children === "function" ? children(aria) : children}
      {hint ? (
        <p id={hintId(id)} className={hintClassName}>
          {hint}
        </p>
      ) : null}
      {hasError ? (
        <p id={errorId(id)} className="field-error" data-testid={errorTestId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
