import "server-only";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";
import { z } from "zod";
import { AppError } from "../core/errors";

// One rule for every new password (setup and invitation links, password change, admin-created
// users, reset links): 12–1024 characters, not a common leaked password or an easily guessed
// variation of one, and not built from the account's own email or name (NIST SP 800-63B
// §5.1.1.2: screen against breach corpora, dictionary words, repetitive or sequential
// characters and context-specific words). No composition rules: length beats forced symbols.
// The screening data and estimator are zxcvbn-ts (see docs/decisions/024-auth-hardening.md).

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

/** Fewer estimated guesses than this (zxcvbn score ≤ 2) is refused: a common password or a pattern around one. */
export const MIN_GUESSES = 1e8;

/**
 * The one famous example zxcvbn rates strong: the xkcd "correct horse battery staple" phrase,
 * kept from the former hand list so coverage of it does not drop (measured in decision 024).
 */
const EXTRA_REFUSED = new Set(["correcthorsebatterystaple"]);

let common: Set<string> | undefined;
let estimator: ZxcvbnFactory | undefined;

function load() {
  // Loaded once per process, on first use (~0.3 s): the 49,233-entry leaked-password list and
  // the keyboard graphs. Only the first 64 characters are estimated, and l33t substitutions are
  // bounded, so one check stays in the tens of milliseconds whatever the input.
  common ??= new Set(dictionary["passwords-common"].map((p) => p.toLowerCase()));
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: 64, l33tMaxSubstitutions: 10 });
  return { common, estimator };
}

/**
 * Case-insensitive: "PASSWORD1234" is as guessable as "password1234". True for any entry of the
 * leaked-password list, and for anything zxcvbn estimates below MIN_GUESSES (a listed password
 * plus digits, a keyboard walk, a repetition, a sequence).
 */
export function isCommonPassword(password: string): boolean {
  const { common, estimator } = load();
  const lower = password.toLowerCase();
  if (common.has(lower) || EXTRA_REFUSED.has(lower)) return true;
  return estimator.check(password).guesses < MIN_GUESSES;
}

/** Fragments shorter than this are too common by chance to refuse ("ann", "bo"). */
const MIN_FRAGMENT = 4;

/** The parts of an email and a name a password must not contain: the local part and its pieces, the name and its words. */
export function personalFragments(who: { email?: string | null; name?: string | null }): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    const t = s.trim().toLowerCase();
    if (t.length >= MIN_FRAGMENT) out.add(t);
  };
  const email = who.email?.trim().toLowerCase() ?? "";
  if (email) {
    add(email);
    const local = email.split("@")[0] ?? "";
    add(local);
    for (const piece of local.split(/[^\p{L}\p{N}]+/u)) add(piece);
  }
  const name = who.name?.trim() ?? "";
  if (name) {
    add(name);
    add(name.replace(/\s+/g, ""));
    for (const word of name.split(/[^\p{L}\p{N}]+/u)) add(word);
  }
  return [...out];
}

/** The message when a password contains the account's email or name, or null. */
export function personalPasswordProblem(
  password: string,
  who: { email?: string | null; name?: string | null },
): string | null {
  const lower = password.toLowerCase();
  return personalFragments(who).some((f) => lower.includes(f))
    ? "must not contain your email address or name; choose one that is harder to guess"
    : null;
}

/** Throws the 400 that names the field when the new password contains the account's email or name. */
export function assertPasswordNotPersonal(
  password: string,
  who: { email?: string | null; name?: string | null },
  path: string,
): void {
  const message = personalPasswordProblem(password, who);
  if (message)
    throw new AppError("validation_failed", `${path} ${message}`, { issues: [{ in: "body", path, message }] });
}

export const ZNewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { message: `must be at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(PASSWORD_MAX_LENGTH, { message: `must be at most ${PASSWORD_MAX_LENGTH} characters` })
  // Only a password of an acceptable length is screened: one issue per refusal, and no estimate of 1 MB strings.
  .refine((p) => p.length < PASSWORD_MIN_LENGTH || p.length > PASSWORD_MAX_LENGTH || !isCommonPassword(p), {
    message: "is one of the most common leaked passwords; choose one that is harder to guess",
  });
