import "server-only";
import pino from "pino";
import { env } from "../env";

const g = globalThis as unknown as { __beaconLogger?: pino.Logger };

/**
 * JSON logs. Anything that could carry a secret is redacted by path, as a second line of defence:
 * the code never passes passwords or tokens to the logger in the first place.
 */
export function logger(): pino.Logger {
  g.__beaconLogger ??= pino({
    level: env().LOG_LEVEL,
    base: { service: "beacon" },
    redact: {
      paths: [
        "password", "*.password", "newPassword", "*.newPassword", "currentPassword", "*.currentPassword",
        "token", "*.token", "authorization", "*.authorization", "headers.cookie", "*.headers.cookie",
        "secret", "*.secret",
      ],
      censor: "[redacted]",
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  return g.__beaconLogger;
}

/** Tests capture log lines through this (the secret-leak test greps them). */
export function setLogger(l: pino.Logger): void {
  g.__beaconLogger = l;
}
