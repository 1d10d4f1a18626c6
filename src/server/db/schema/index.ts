// drizzle-kit and the client need the whole schema in one module; app code imports the aggregate files.
export * from "./enums";
export * from "./orgs";
export * from "./users";
export * from "./tickets";
export * from "./sla";
export * from "./notifications";
export * from "./audit";
export * from "./flags";
export * from "./workers";
export * from "./email";
export * from "./automation";
export * from "./idempotency";
export * from "./workspace";
export * from "./customers";
export * from "./imports";
