import "server-only";
import { revokeOrgToken } from "../../auth/manage-tokens";
import { zUuidParam } from "../../http/route";
import { defineOperation } from "../operation";

// Any API token of the org, as its administrators see it (a caller's own tokens are under /me/tokens).

export const TOKEN_OPERATIONS = [
  defineOperation({
    method: "DELETE",
    path: "/api/v1/tokens/{id}",
    operationId: "revokeOrgToken",
    summary:
      "Revoke any API token of the org by its id (the id a token string carries: bcn_<org>_<id>_…); audited as token.revoked",
    tag: "org",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => revokeOrgToken(scope, params.id),
  }),
];
