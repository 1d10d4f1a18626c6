import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Conversation } from "../../src/components/tickets/conversation";
import type { CommentView } from "../../src/server/tickets/schemas";

// Issue 12 item 8 and decision 029: every comment names its channel; an email's envelope (From,
// To, Cc) is for staff only, so a customer never reads a CC's address on the ticket page; files an
// email brought that the upload rules refused are listed by name and why, for everyone.

const emailed: CommentView = {
  id: "00000000-0000-4000-8000-000000000001",
  ticketId: "00000000-0000-4000-8000-0000000000aa",
  authorId: "00000000-0000-4000-8000-0000000000bb",
  body: "The printer is on fire.",
  bodyHtml: "<p>The printer is on fire.</p>",
  internal: false,
  channel: "email",
  email: {
    from: "pat@customer.test",
    to: ["support@acme.test"],
    cc: ["boss@customer.test"],
    messageId: "<m1@customer.test>",
    refused: [{ filename: "invoice.exe", reason: "this file type is not allowed" }],
  },
  createdAt: "2026-12-06T10:00:00.000Z",
};
const byWeb: CommentView = { ...emailed, id: "00000000-0000-4000-8000-000000000002", channel: "web", email: null };

const render = (staff: boolean) =>
  renderToStaticMarkup(
    createElement(Conversation, {
      comments: [emailed, byWeb],
      authorOf: () => ({ name: "Pat", role: "Customer" }),
      staff,
    }),
  );

describe("Conversation", () => {
  it("names each comment's channel, for staff and customers alike", () => {
    for (const html of [render(true), render(false)]) {
      expect(html).toContain("Channel: </span>Email");
      expect(html).toContain("Channel: </span>Web");
    }
  });

  it("shows an email's From, To and Cc to staff only", () => {
    const staff = render(true);
    expect(staff).toContain('data-testid="email-envelope"');
    expect(staff).toContain("boss@customer.test");
    expect(staff).toContain("pat@customer.test");
    // Only the email comment carries an envelope.
    expect(staff.match(/data-testid="email-envelope"/g)).toHaveLength(1);

    const customer = render(false);
    expect(customer).not.toContain('data-testid="email-envelope"');
    expect(customer).not.toContain("boss@customer.test");
  });

  it("lists the files an email brought that were refused, with why, for everyone", () => {
    for (const html of [render(true), render(false)]) {
      expect(html).toContain("Files in this email that were not accepted:");
      expect(html).toContain("invoice.exe: this file type is not allowed");
    }
    expect(
      renderToStaticMarkup(
        createElement(Conversation, { comments: [byWeb], authorOf: () => ({ name: "Pat", role: "Customer" }) }),
      ),
    ).not.toContain("refused-files");
  });
});
