import "server-only";
import { z } from "zod";
import { COMMON_PASSWORDS } from "./common-passwords";

// One rule for every new password (setup and invitation links, password change, admin-created
// users, reset links): 12–1024 characters and not one of the most common leaked passwords
// (NIST SP 800-63B §5.1.1.2). No composition rules: length beats forced symbols.

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

let common: Set<string> | undefined;

/** Case-insensitive: "PASSWORD1234" is as guessable as "password1234". */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(COMMON_PASSWORDS);
  return common.has(password.toLowerCase());
}

export const ZNewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { message: `must be at least ${PASSWORD_MIN_LENGTH} characters` })
  .max(PASSWORD_MAX_LENGTH, { message: `must be at most ${PASSWORD_MAX_LENGTH} characters` })
  .refine((p) => !isCommonPassword(p), {
    message: "is one of the most common leaked passwords; choose one that is harder to guess",
  });
