import type { Operation } from "../http/api-spec";

/** OpenAPI entries for the export routes (merged into the document by src/server/http/api-spec.ts). */
export const EXPORT_OPERATIONS: Operation[] = [];
