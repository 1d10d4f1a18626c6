import { route } from "@/server/http/route";
import { STAFF_ROLES } from "@/server/authz/permissions";
import { setTyping, ZTypingBody } from "@/server/tickets/live-stream";

export const dynamic = "force-dynamic";

/** An agent's "typing a reply" signal for the others on the ticket (decision 052). */
export const POST = route({ auth: STAFF_ROLES, body: ZTypingBody }, (ctx, body) => setTyping(ctx, body));
