import type { Operation } from "../http/api-spec";

/** OpenAPI entries for the attachments routes (merged into the document by src/server/http/api-spec.ts). */
export const ATTACHMENT_OPERATIONS: Operation[] = [];
