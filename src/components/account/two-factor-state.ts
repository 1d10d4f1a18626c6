import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { api, type ApiFailure, type ApiResult } from "../api-client";

// The two-factor page's state and its four actions (start setup, confirm it, make new recovery
// codes, turn it off); each failure remembers which form it belongs to.

export type TwoFactorStatus = { enabled: boolean; pending: boolean; required: boolean; recoveryCodesRemaining: number };
export type Setup = { secret: string; otpauthUrl: string };
export type Where = "start" | "confirm" | "regen" | "off";
export type Failure = { where: Where; error: ApiFailure };

/** A field's issue from the API, as a sentence for under that field of that form. */
export const issue = (f: Failure | null, where: Where, path: string) => {
  const m = f?.where === where ? f.error.issues.find((i) => i.path === path)?.message : undefined;
  return m ? `${path === "code" ? "The code" : "The password"} ${m}.` : undefined;
};

const field = (form: FormData, name: string) => String(form.get(name) ?? "");

export function useTwoFactor() {
  const router = useRouter();
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [note, setNote] = useState("");

  // A refused code or password: focus the field, which now reads out its error.
  useEffect(() => {
    if (failure?.error.issues.length) document.querySelector<HTMLElement>('main [aria-invalid="true"]')?.focus();
  }, [failure]);

  /** One call: busy while it runs, its failure kept for `where`'s form, `done` with its answer. */
  async function call<T>(where: Where, request: () => Promise<ApiResult<T>>, done: (data: T) => void) {
    setBusy(true);
    setFailure(null);
    const r = await request();
    setBusy(false);
    if (!r.ok) return setFailure({ where, error: r.error });
    done(r.data);
  }

  function start() {
    setNote("");
    return call("start", () => api<Setup>("POST", "/api/v1/me/2fa/setup"), setSetup);
  }

  function confirm(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const code = field(new FormData(e.currentTarget), "code").trim();
    const request = () => api<{ recoveryCodes: string[] }>("POST", "/api/v1/me/2fa/confirm", { code });
    return call("confirm", request, (data) => {
      setSetup(null);
      setCodes(data.recoveryCodes);
      setNote("Two-factor sign-in is on.");
      router.refresh();
    });
  }

  function disable(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body = { password: field(form, "password"), code: field(form, "code").trim() };
    return call(
      "off",
      () => api("DELETE", "/api/v1/me/2fa", body),
      () => {
        setNote("Two-factor sign-in is off. Your recovery codes no longer work.");
        router.refresh();
      },
    );
  }

  function regenerate(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const code = field(new FormData(formEl), "code").trim();
    const request = () => api<{ recoveryCodes: string[] }>("POST", "/api/v1/me/2fa/recovery-codes", { code });
    return call("regen", request, (data) => {
      formEl.reset();
      setCodes(data.recoveryCodes);
      setNote("New recovery codes made; the old ones stopped working.");
      router.refresh();
    });
  }

  return { setup, codes, busy, failure, note, start, confirm, disable, regenerate, closeCodes: () => setCodes(null) };
}

export type TwoFactor = ReturnType<typeof useTwoFactor>;
