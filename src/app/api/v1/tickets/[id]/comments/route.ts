import { route, zUuidParam } from "@/server/http/route";
import { addComment } from "@/server/tickets/add-comment";
import { listComments } from "@/server/tickets/list-comments";
import { ZCreateComment, ZListPage } from "@/server/tickets/schemas";

export const GET = route({ auth: "any", params: zUuidParam, query: ZListPage }, (ctx) => listComments(ctx, ctx.params.id, ctx.query));
export const POST = route({ auth: "any", params: zUuidParam, body: ZCreateComment, status: 201 }, (ctx, body) =>
  addComment(ctx, ctx.params.id, body),
);
