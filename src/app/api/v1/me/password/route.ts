import { route } from "@/server/http/route";
import { changePassword, ZChangePassword } from "@/server/auth/change-password";

export const POST = route({ auth: "any", body: ZChangePassword, allowPendingPasswordChange: true }, (ctx, body) =>
  changePassword(ctx, body),
);
