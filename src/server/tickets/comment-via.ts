import type { CommentEmail } from "../db/schema/tickets";

/** How a comment arrived, for channels other than the web form (SPEC §11). */
export type CommentVia = {
  channel?: "web" | "email" | "api";
  email?: CommentEmail;
  /** The author is a CC of the ticket replying by email, not its requester. */
  ccParticipant?: boolean;
};
