import { route } from "@/server/http/route";
import { disableTwoFactor, twoFactorStatus, ZDisableTwoFactor } from "@/server/auth/two-factor";

export const GET = route({ auth: "any", allowPendingTwoFactorSetup: true }, (ctx) => twoFactorStatus(ctx));
export const DELETE = route({ auth: "any", body: ZDisableTwoFactor, allowPendingTwoFactorSetup: true }, (ctx, body) =>
  disableTwoFactor(ctx, body),
);
