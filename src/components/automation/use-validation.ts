"use client";

import { useEffect, useRef, useState } from "react";
import { api, describeFailure, type ApiIssue } from "../api-client";

/** How long typing must pause before the draft is checked. */
export const VALIDATE_DELAY_MS = 400;

/**
 * Validate as you type (decision 045): once `touched`, the latest draft (`json`, the request body
 * as text so an unchanged draft is not checked again) goes to the `…/validate` endpoint at `path`
 * after typing pauses; only the newest answer counts. `issues` are the 400's, each naming its path;
 * `checkFailure` says why the check itself could not run.
 */
export function useValidation(
  path: string,
  json: string,
  touched: boolean,
): { issues: ApiIssue[]; checking: boolean; checkFailure: string | null } {
  const [issues, setIssues] = useState<ApiIssue[]>([]);
  const [checking, setChecking] = useState(false);
  const [checkFailure, setCheckFailure] = useState<string | null>(null);
  const latest = useRef(0);
  useEffect(() => {
    if (!touched) return;
    const n = ++latest.current;
    setChecking(true);
    const t = setTimeout(async () => {
      const r = await api<{ valid: true }>("POST", path, JSON.parse(json));
      if (n !== latest.current) return;
      setChecking(false);
      if (r.ok) {
        setIssues([]);
        setCheckFailure(null);
      } else if (r.error.status === 400) {
        setIssues(r.error.issues.length ? r.error.issues : [{ path: "", message: r.error.message }]);
        setCheckFailure(null);
      } else setCheckFailure(describeFailure(r.error));
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(t);
  }, [path, json, touched]);
  return { issues, checking, checkFailure };
}
