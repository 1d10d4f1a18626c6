import { route } from "@/server/http/route";
import { regenerateRecoveryCodes, ZRegenerateRecoveryCodes } from "@/server/auth/two-factor";

export const POST = route({ auth: "any", body: ZRegenerateRecoveryCodes, allowPendingTwoFactorSetup: true }, (ctx, body) =>
  regenerateRecoveryCodes(ctx, body),
);
