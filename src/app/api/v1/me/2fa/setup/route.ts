import { route } from "@/server/http/route";
import { setupTwoFactor } from "@/server/auth/two-factor";

export const POST = route({ auth: "any", allowPendingTwoFactorSetup: true }, (ctx) => setupTwoFactor(ctx));
