import "server-only";
import pino from "pino";
import { env } from "../env";

const g = globalThis as unknown as { __beaconLogger?: pino.Logger };

/** What a redacted value prints as. */
export const REDACT_CENSOR = "[redacted]";

// Keys that name a secret at the top level of a log object or one level down (`*.key`).
const SECRET_KEYS = [
  "password",
  "newPassword",
  "currentPassword",
  "passwordHash",
  "token",
  "setupToken",
  "inviteUrl",
  "resetUrl",
  "authorization",
  "cookie",
  "secret",
  "totpSecret",
  "secretAccessKey",
  "recoveryCode",
  "recoveryCodes",
  "totp",
  "totpCode",
  "otp",
];

/**
 * Redacted paths. A one-time code travels as `code` (2FA bodies), but `err.code` is a SQLSTATE or
 * errno that operators need, so `code` is redacted only at the top level and inside a body or
 * input object, never as `*.code`.
 */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`]),
  "headers.cookie",
  "*.headers.cookie",
  "code",
  "body.code",
  "input.code",
  "*.body.code",
];

/** The logger's options; exported so a test can check the redaction production uses. */
export function loggerOptions(): pino.LoggerOptions {
  return {
    level: env().LOG_LEVEL,
    base: { service: "beacon" },
    redact: { paths: REDACT_PATHS, censor: REDACT_CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

/**
 * JSON logs. Anything that could carry a secret is redacted by path, as a second line of defence:
 * the code never passes passwords, tokens or one-time codes to the logger in the first place.
 */
export function logger(): pino.Logger {
  g.__beaconLogger ??= pino(loggerOptions(), destination());
  return g.__beaconLogger;
}

/**
 * Standard output, written asynchronously (docs/decisions/065): a line is handed to a background
 * write at once, and lines logged while one is in flight go out together in the next, so the
 * request thread never waits on the write (a synchronous write per request line was ~9 % of the
 * API's CPU under load). pino flushes what is pending, synchronously, when the process exits
 * (process.exit, an uncaught exception); only a SIGKILL can lose the lines of the write in flight.
 */
function destination(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 0 });
}

/** Tests capture log lines through this (the secret-leak test greps them). */
export function setLogger(l: pino.Logger): void {
  g.__beaconLogger = l;
}
