import type { CommentEmail } from "../db/schema/tickets";

/** How a comment arrived, for channels other than the web form (SPEC §11). */
export type CommentVia = {
  channel?: "web" | "email" | "api";
  email?: CommentEmail;
  /** The author is a CC of the ticket replying by email, not its requester. */
  ccParticipant?: boolean;
  /**
   * createTicket only: the id its first comment gets, chosen by the caller (the mail intake records
   * it with the message without reading the comment back). A fresh UUID when absent.
   */
  commentId?: string;
};
