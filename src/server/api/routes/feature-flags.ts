import "server-only";
import { listFlags, putFlag, ZFlag, ZPutFlag } from "../../flags/flags";
import { wholeList, zWholeList } from "../../core/list-page";
import { defineOperation } from "../operation";

const ZFlags = zWholeList(ZFlag);

export const FEATURE_FLAG_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/feature-flags",
    operationId: "listFeatureFlags",
    summary: "Effective feature flags for the org (env kill switch, org, global, default)",
    tag: "operations",
    can: "org.admin",
    status: 200,
    response: ZFlags,
    handler: (scope) => wholeList(listFlags(scope)),
  }),
  defineOperation({
    method: "PUT",
    path: "/api/v1/feature-flags",
    operationId: "setFeatureFlag",
    summary: "Set (or with enabled: null clear) an org-level flag",
    tag: "operations",
    can: "org.admin",
    body: ZPutFlag,
    status: 200,
    response: ZFlags,
    handler: (scope, { body }) => wholeList(putFlag(scope, body)),
  }),
];
