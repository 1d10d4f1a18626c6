import { route } from "@/server/http/route";
import { confirmTwoFactor, ZConfirmTwoFactor } from "@/server/auth/two-factor";

export const POST = route({ auth: "any", body: ZConfirmTwoFactor, allowPendingTwoFactorSetup: true }, (ctx, body) =>
  confirmTwoFactor(ctx, body),
);
