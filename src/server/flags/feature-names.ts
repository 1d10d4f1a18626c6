/** Features that can be switched off (FEATURES_DISABLED or flags). No imports: env.ts validates against it. */
export const FEATURES = ["attachments", "export", "search", "webhooks", "signup_tokens", "notifications_email", "email_inbound"] as const;
export type Feature = (typeof FEATURES)[number];
