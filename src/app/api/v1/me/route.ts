import { route } from "@/server/http/route";
import { getMe } from "@/server/users/get-me";

export const GET = route({ auth: "any", allowPendingPasswordChange: true, allowPendingTwoFactorSetup: true }, async (ctx) => getMe(ctx));
