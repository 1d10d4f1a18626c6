import type { Operation } from "../http/api-spec";

/** OpenAPI entries for the users routes (merged into the document by src/server/http/api-spec.ts). */
export const USER_OPERATIONS: Operation[] = [];
