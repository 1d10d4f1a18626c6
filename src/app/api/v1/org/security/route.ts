import { route } from "@/server/http/route";
import { getOrgSecurity, updateOrgSecurity, ZOrgSecurity } from "@/server/auth/org-security";

export const GET = route({ auth: ["admin"] }, (ctx) => getOrgSecurity(ctx));
export const PUT = route({ auth: ["admin"], body: ZOrgSecurity }, (ctx, body) => updateOrgSecurity(ctx, body));
