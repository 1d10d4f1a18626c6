import "server-only";
import { env, type Feature } from "../env";
import { AppError } from "../core/errors";

/** Features that can be switched off: by FEATURES_DISABLED (no database needed, for incidents) or by flags. */
export { FEATURES, type Feature } from "../env";

export function disabledByEnv(feature: Feature): boolean {
  return env().FEATURES_DISABLED.includes(feature);
}

export function assertFeatureEnabledByEnv(feature: Feature): void {
  if (disabledByEnv(feature))
    throw new AppError("feature_disabled", `${feature} is switched off right now`, { feature });
}
