"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { describeFailure, type ApiFailure, type ApiResult } from "./api-client";
import s from "./admin/admin.module.css";

type RunOptions = {
  /** What is busy, when one component has a button per row (the row's id); read back as busyKey. */
  key?: string;
  /** Refresh after a failure too: the row may have changed under us (replayed or dropped elsewhere). */
  refreshOnFailure?: boolean;
};

/**
 * The cycle of a client component that changes something through /api/v1 (issue 15.6): mark it
 * busy, clear the last message, call, then keep the failure for the alert region, or announce what
 * happened in the status region and refresh the server components. `run` returns the result, so a
 * caller can still close its dialog or focus the field that failed.
 */
export function useApiAction() {
  const router = useRouter();
  const [running, setRunning] = useState<{ key: string | null } | null>(null);
  const [status, setStatus] = useState("");
  const [failure, setFailure] = useState<ApiFailure | null>(null);

  async function run<T>(
    call: () => Promise<ApiResult<T>>,
    done: (data: T) => string,
    options: RunOptions = {},
  ): Promise<ApiResult<T>> {
    setRunning({ key: options.key ?? null });
    setFailure(null);
    setStatus("");
    const r = await call();
    setRunning(null);
    if (r.ok) setStatus(done(r.data));
    else setFailure(r.error);
    if (r.ok || options.refreshOnFailure) router.refresh();
    return r;
  }

  return { run, busy: running !== null, busyKey: running?.key ?? null, status, failure };
}

/** The status region (what just happened) and the alert region (why it did not), both always present so screen readers announce changes. */
export function ActionFeedback({
  status,
  failure,
  statusTestId,
}: {
  status: string;
  failure: ApiFailure | null;
  statusTestId?: string;
}) {
  return (
    <>
      <p role="status" className={s.status} data-testid={statusTestId}>
        {status}
      </p>
      <div role="alert" className={s.alert}>
        {failure ? <p className="error">{describeFailure(failure)}</p> : null}
      </div>
    </>
  );
}
