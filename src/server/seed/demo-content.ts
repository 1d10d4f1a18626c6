import type { TicketPriority, TicketStatus } from "../db/schema/enums";

// The demo conversations. Placeholders: {product} (the org's product), {customer} and {agent}
// (first names of the requester and the assignee). Status and priority are fixed per scenario so
// every status and priority is always present; timing and assignment come from the seeded PRNG.

export type DemoScenario = {
  subject: string;
  status: TicketStatus;
  priority: TicketPriority;
  tags: string[];
  /** Placed relative to now: a running SLA clock due within the hour, or already overdue. */
  sla?: "near" | "breached";
  /** For new tickets: already picked up by an agent (others in every status are assigned). */
  assigned?: boolean;
  /** The customer's opening message. */
  message: string;
  /** The agent's first public reply (every status but new). */
  reply?: string;
  /** The customer's answer to that reply. */
  followUp?: string;
  /** An internal note between agents. */
  note?: string;
  /** The agent's public reply that solved the ticket (solved and closed). */
  resolution?: string;
};

export const DEMO_SCENARIOS: DemoScenario[] = [
  // ── new ─────────────────────────────────────────────────────────────────────
  {
    subject: "Checkout returns a 502 error for every customer",
    status: "new",
    priority: "urgent",
    tags: ["outage", "checkout"],
    sla: "near",
    message:
      "Since about twenty minutes ago every order on our store fails at the last step with **502 Bad Gateway**.\n\nWe are losing sales right now. Nothing changed on our side today. Please call me back as soon as possible.",
    note: "Status page shows no incident yet. Paging the on-call engineer before we reply.",
  },
  {
    subject: "Invitation emails never arrive for new team members",
    status: "new",
    priority: "high",
    tags: ["email", "onboarding"],
    sla: "near",
    assigned: true,
    message:
      "I invited three new colleagues to {product} this morning and none of them received the invitation email. I checked their spam folders too.\n\nThey start on Monday, so we need them to have access before then.",
  },
  {
    subject: "Two-factor codes rejected after switching phones",
    status: "new",
    priority: "high",
    tags: ["login", "2fa"],
    sla: "breached",
    message:
      'I moved my authenticator app to a new phone and now every code is rejected with "invalid code". I no longer have the old phone.\n\nI am completely locked out of {product} and I am the only admin on our account.',
  },
  {
    subject: "API answers 401 for all requests since we rotated our key",
    status: "new",
    priority: "urgent",
    tags: ["api", "outage"],
    sla: "breached",
    assigned: true,
    message:
      "We rotated our API key following your security advice, updated it in our integration, and since then every call returns `401 Unauthorized`.\n\nOur order sync has been down since then. The new key is definitely the one shown in the dashboard.",
  },
  {
    subject: "How do I change the billing contact on our account?",
    status: "new",
    priority: "normal",
    tags: ["billing", "account"],
    message:
      "Hi, our finance manager has changed. How do I make invoices go to a different email address? I could not find it in the settings.",
  },
  {
    subject: "Feature request: dark mode for the dashboard",
    status: "new",
    priority: "low",
    tags: ["feature-request", "ui"],
    message:
      "Several people on our team work late shifts and would love a dark theme for the {product} dashboard. Is that on your roadmap?",
  },
  {
    subject: 'CSV export is missing the "Created by" column',
    status: "new",
    priority: "normal",
    tags: ["export", "bug"],
    message:
      'When I export the activity list to CSV, the "Created by" column that is visible on screen is not in the file.\n\nWe use that column for our monthly review, so we are stuck copying it by hand.',
  },

  // ── open ────────────────────────────────────────────────────────────────────
  {
    subject: "Webhook deliveries time out since this morning",
    status: "open",
    priority: "urgent",
    tags: ["webhooks", "integration"],
    sla: "near",
    message:
      'All webhook deliveries to our endpoint show "timeout" in the delivery log since 07:40. Our endpoint responds in under 100 ms when we test it with curl.',
    reply:
      "Hi {customer}, thanks for the details. I can see the timeouts on our side as well and I have escalated this to our platform team. I will update you within the hour.",
    followUp: "Thanks {agent}. Any news? Our warehouse team is waiting on these events.",
    note: "Platform team suspects the new egress proxy. Incident channel opened; keep the customer updated every 30 minutes.",
  },
  {
    subject: "We were charged twice on our latest invoice",
    status: "open",
    priority: "high",
    tags: ["billing", "refund"],
    sla: "near",
    message:
      "Our card was charged twice for this month's subscription (same amount, same day). Could you refund the duplicate charge?",
    reply:
      "Hi {customer}, I am sorry about that. I can confirm two charges went through. I have asked our billing team to refund the duplicate and will confirm as soon as it is processed.",
    note: "Payment provider shows a retried capture after a gateway timeout. Refund requested in the billing console; waiting for the reference.",
  },
  {
    subject: "Search does not find archived projects",
    status: "open",
    priority: "normal",
    tags: ["search", "bug"],
    sla: "breached",
    message:
      "Searching for a project by name returns nothing once the project is archived. We need to find old projects for audits.",
    reply:
      'Hi {customer}, thanks for reporting this. Archived projects should appear when the "Include archived" filter is on. Could you check whether that filter is enabled when you search?',
    followUp: "The filter is on and they still do not show up. I tried in two browsers.",
  },
  {
    subject: "Single sign-on loops back to the sign-in page",
    status: "open",
    priority: "normal",
    tags: ["sso", "login"],
    message:
      "After signing in through our identity provider we land on the {product} sign-in page again, in an endless loop. Password sign-in still works.",
    reply:
      "Hi {customer}, this usually means the SAML response is signed with a certificate we do not have yet. Did your identity provider rotate its signing certificate recently?",
    followUp: "Yes, our IT team rotated it last week. Where do I upload the new one?",
    note: "Customer on the Business plan; SSO settings are under Admin → Security. Send the doc link with the reply.",
  },
  {
    subject: "Typo in the German translation of the settings page",
    status: "open",
    priority: "low",
    tags: ["translation", "ui"],
    message: 'Small thing: on the German settings page it says "Benachrichtigungen verwalen" instead of "verwalten".',
    reply:
      "Danke, {customer}! I have passed this on to our localisation team; the fix will ship with the next release.",
  },
  {
    subject: "Mobile app crashes when uploading photos",
    status: "open",
    priority: "high",
    tags: ["mobile", "bug", "attachments"],
    message:
      "The {product} app on Android closes immediately when I attach a photo to a report. It worked until last week's update.",
    reply:
      "Hi {customer}, thank you. Which phone model and Android version are you using? And does it also crash with a smaller photo, for example a screenshot?",
    followUp: "Pixel 7, Android 14. Screenshots work, photos from the camera crash it.",
    note: "Looks like the large-image regression from release 4.12. Linked to the mobile bug tracker; fix is in QA.",
  },
  {
    subject: "Can we extend our trial by two weeks?",
    status: "open",
    priority: "normal",
    tags: ["trial", "sales"],
    message:
      "Our evaluation was delayed by the holidays. Could our trial be extended by two weeks so the whole team can try {product}?",
    reply:
      "Hi {customer}, happy to help. I have asked our sales team to approve a two-week extension and will confirm here once it is applied.",
  },
  {
    subject: "How long is data kept for deleted users?",
    status: "open",
    priority: "low",
    tags: ["privacy", "question"],
    message: "For our records of processing: how long do you keep personal data after we delete a user from {product}?",
    reply:
      "Hi {customer}, deleted users are removed from the live system immediately and from backups within 30 days. I am checking with our privacy team whether you need anything more formal for your records.",
  },
  {
    subject: "Email notifications arrive hours late",
    status: "open",
    priority: "normal",
    tags: ["email", "notifications"],
    message:
      "Notification emails about new assignments reach us two to three hours after the event. It started on Tuesday.",
    reply:
      "Hi {customer}, thanks. Could you forward one of the late emails with its full headers? That will show us where the delay happens.",
    followUp: "Forwarded one just now, sent from our shared inbox.",
    note: "Headers show the delay is inside the customer's mail gateway (greylisting). Prepare an explanation with the IPs to allow.",
  },
  {
    subject: "Dashboards still show yesterday's numbers",
    status: "open",
    priority: "urgent",
    tags: ["sync", "reports"],
    message: "None of our dashboards have updated since yesterday evening. Our morning stand-up relies on them.",
    reply:
      "Hi {customer}, I can see that your data sync job is stuck. I have restarted it and it is catching up now; I will confirm once it is current.",
  },

  // ── pending (waiting for the customer) ─────────────────────────────────────
  {
    subject: "Refund for seats we no longer use",
    status: "pending",
    priority: "normal",
    tags: ["billing", "refund"],
    message:
      "We reduced our team from 25 to 18 people last month but were still billed for 25 seats. Can we get a refund for the difference?",
    reply:
      "Hi {customer}, I can help with that. Could you confirm the date you removed the seven users, and whether you want the refund on the card or as credit for the next invoice?",
  },
  {
    subject: "Scheduled reports stopped sending on Monday",
    status: "pending",
    priority: "high",
    tags: ["reports", "email"],
    message: "Our weekly scheduled reports did not arrive this Monday. Nothing changed in the schedule.",
    reply:
      "Hi {customer}, I see the report was generated but bounced by your mail server. Could you ask your IT team whether reports@ mail from us is being blocked? Once allowed, I can resend it.",
    note: "Bounce reason: 550 policy rejection from the customer's gateway. Not a {product} issue.",
  },
  {
    subject: "How do I import contacts from a spreadsheet?",
    status: "pending",
    priority: "low",
    tags: ["import", "question"],
    message: "We have about 2,000 contacts in Excel. Is there a way to import them in one go?",
    reply:
      "Hi {customer}, yes: save the sheet as CSV and use Contacts → Import. If you send me a sample of the first few rows I can check the column mapping for you before you import everything.",
  },
  {
    subject: "Custom domain shows a certificate warning",
    status: "pending",
    priority: "normal",
    tags: ["domains", "ssl"],
    message: "Our help portal on help.ourcompany.example shows a certificate warning in every browser since yesterday.",
    reply:
      "Hi {customer}, the certificate could not be renewed because the CNAME record no longer points to us. Could you check the DNS record for help.ourcompany.example and send me a screenshot?",
  },
  {
    subject: "Calendar integration shows events in the wrong time zone",
    status: "pending",
    priority: "normal",
    tags: ["integration", "calendar"],
    message: "Appointments created in {product} appear one hour late in our Google Calendar.",
    reply:
      "Hi {customer}, this happens when the account's time zone differs from the calendar's. Which time zone is set under Settings → Organization on your side?",
  },
  {
    subject: "Request for a signed data processing agreement",
    status: "pending",
    priority: "low",
    tags: ["legal", "privacy"],
    message: "Our legal team needs a signed DPA before we roll {product} out to more departments.",
    reply:
      "Hi {customer}, of course. Please fill in your company's legal name and address in the attached template and reply here; we will countersign within two business days.",
  },

  // ── on hold (waiting for a third party) ────────────────────────────────────
  {
    subject: "Payments with EU cards are being declined",
    status: "on_hold",
    priority: "high",
    tags: ["payments", "escalated"],
    sla: "breached",
    message:
      'Customers paying with cards issued in the EU get "payment declined" since Friday. Cards from other countries work.',
    reply:
      "Hi {customer}, we have reproduced this and opened a case with our payment provider; it looks related to a change in their 3-D Secure handling. I will update you as soon as they respond.",
    note: "Provider case opened, priority P1. They acknowledged but have no ETA. Check their status page twice a day.",
  },
  {
    subject: "Azure AD single sign-on setup",
    status: "on_hold",
    priority: "normal",
    tags: ["sso", "setup"],
    message: "We would like to set up single sign-on with Azure AD for all staff. What do you need from us?",
    reply:
      "Hi {customer}, I have sent the metadata URL and the claims we need. Once your IT team has created the enterprise application, send me the federation metadata and I will finish the configuration.",
    followUp: "Our IT team has it on their list for next week.",
    note: "On hold until the customer's IT team creates the app registration.",
  },
  {
    subject: "Accessibility audit findings for the customer portal",
    status: "on_hold",
    priority: "low",
    tags: ["accessibility", "feedback"],
    message:
      "Our accessibility team audited the customer portal and found a few issues (focus order on the ticket form, contrast of the secondary buttons). Report attached.",
    reply:
      "Hi {customer}, thank you, this is really useful. I have shared the report with our design team, who are reviewing it for the next design sprint.",
    note: "Design team will triage in the sprint starting next week.",
  },
  {
    subject: "Invoices need our VAT number",
    status: "on_hold",
    priority: "normal",
    tags: ["billing", "invoices"],
    message: "Could you add our VAT number to our invoices? Our accountant cannot book them without it.",
    reply:
      "Hi {customer}, certainly. Our finance team is updating the billing profile and will reissue the last three invoices; I will send them here when they are ready.",
  },

  // ── solved ──────────────────────────────────────────────────────────────────
  {
    subject: "Password reset link expires immediately",
    status: "solved",
    priority: "normal",
    tags: ["login", "password"],
    message:
      "When I click the password reset link it says the link has already expired, even if I click it right away.",
    reply:
      "Hi {customer}, some email security scanners open links before you do, which uses them up. Could you try copying the link into a private browser window?",
    followUp: "That did not help, same message.",
    note: "Customer's mail gateway pre-fetches links. Our reset links are single-use on GET; engineering has a fix to require a click on the page.",
    resolution:
      "Hi {customer}, we have released a change so that opening the link no longer uses it up; the reset only happens when you submit the form. Please request a new link and let me know if it works.",
  },
  {
    subject: "Users locked out after changing the IP allowlist",
    status: "solved",
    priority: "high",
    tags: ["security", "login"],
    message: "I updated our IP allowlist and now nobody in the office can sign in, including me on my laptop.",
    reply:
      "Hi {customer}, the allowlist contains 10.0.0.0/8, which is a private range; your office connects from a public address. I have temporarily disabled the allowlist so you can get back in.",
    resolution:
      'Everything should be working again. When you re-enable the allowlist, add your office\'s public IP (you can find it at Admin → Security → "Your current IP").',
  },
  {
    subject: "Where can I download past invoices?",
    status: "solved",
    priority: "low",
    tags: ["billing", "question"],
    message: "I need the invoices from last year for our auditors. Where can I download them?",
    reply: "Hi {customer}, they are all under Settings → Billing → Invoice history, each with a PDF download.",
    resolution: "Marking this as solved; reply here if anything is missing.",
  },
  {
    subject: "Sign-in page answers 503 Service Unavailable",
    status: "solved",
    priority: "urgent",
    tags: ["outage", "login"],
    message: 'Nobody on our team can sign in: the login page shows "503 Service Unavailable".',
    reply: "Hi {customer}, we are aware of the problem and are working on it now. Updates on our status page as well.",
    note: "Incident INC-2291: database failover took longer than expected. Resolved at 10:42.",
    resolution:
      "The incident is resolved and sign-in works again. We are sorry for the disruption; a post-mortem will be published on our status page.",
  },
  {
    subject: "Report totals do not match the CSV export",
    status: "solved",
    priority: "normal",
    tags: ["reports", "export"],
    message: "The monthly revenue report says 48,210 but the CSV export of the same report adds up to 47,905.",
    reply:
      "Hi {customer}, the report includes refunds processed after the export was created. Could you export again and compare?",
    followUp: "You're right, a fresh export matches. Could the export show the time it was created?",
    resolution: "Good idea: I have filed that as a feature request. Closing this one since the numbers match now.",
  },
  {
    subject: "Please change the company name on our account",
    status: "solved",
    priority: "low",
    tags: ["account"],
    message: "We renamed our company. Could the account name and invoices show the new name?",
    reply: "Hi {customer}, done: the account name is updated, and future invoices will show it.",
    resolution: "All set. Past invoices keep the old name for legal reasons.",
  },
  {
    subject: "Slack integration stopped posting updates",
    status: "solved",
    priority: "normal",
    tags: ["integration", "slack"],
    message: "Our #support-updates channel stopped getting messages from {product} two days ago.",
    reply:
      "Hi {customer}, the Slack app's token was revoked when the person who installed it left your workspace. Please reconnect it under Settings → Integrations → Slack.",
    followUp: "Reconnected, messages are coming in again. Thanks!",
    resolution: "Great, glad it works. I'll mark this as solved.",
  },

  // ── closed ──────────────────────────────────────────────────────────────────
  {
    subject: "Upgrade from the Starter to the Business plan",
    status: "closed",
    priority: "normal",
    tags: ["billing", "plans"],
    message: "We would like to upgrade to the Business plan from the next billing cycle. Is that possible?",
    reply:
      "Hi {customer}, yes. I have scheduled the upgrade for the start of your next cycle; you will see it on the next invoice.",
    resolution: "The upgrade is scheduled. Thanks for growing with us!",
  },
  {
    subject: 'Logo upload fails with "file too large"',
    status: "closed",
    priority: "low",
    tags: ["branding", "attachments"],
    message: 'Our logo is a 3 MB PNG and the upload fails with "file too large".',
    reply: "Hi {customer}, logos are limited to 1 MB. An SVG or a PNG resized to 512 px wide will fit comfortably.",
    followUp: "The SVG worked, thanks.",
    resolution: "Perfect. Closing this ticket.",
  },
  {
    subject: "Bulk delete removed the wrong records",
    status: "closed",
    priority: "high",
    tags: ["data", "restore"],
    message:
      "I used bulk delete on a filtered list and it deleted 140 records that were not in the filter. We need them back urgently.",
    reply:
      "Hi {customer}, I am sorry. Deleted records are kept for 30 days, so nothing is lost. I am restoring the 140 records now.",
    note: "Bug: the bulk action used the unfiltered selection after a page change. Engineering ticket filed, restore done from the recycle bin.",
    resolution:
      "All 140 records are restored. We have also fixed the bug that caused the wrong selection. Sorry again for the scare.",
  },
  {
    subject: "Cannot connect the Zapier integration",
    status: "closed",
    priority: "normal",
    tags: ["integration", "zapier"],
    message: 'Zapier says "authentication failed" when I try to connect {product}.',
    reply:
      "Hi {customer}, Zapier needs an API token rather than your password. You can create one under Settings → API tokens.",
    resolution: "With the API token it connects fine. Closing this ticket.",
  },
  {
    subject: "Delete a former employee's account",
    status: "closed",
    priority: "low",
    tags: ["account", "privacy"],
    message: "A colleague left the company. Please delete their account and personal data.",
    reply:
      "Hi {customer}, an admin on your side can do this under Admin → Users → Delete. If you prefer, confirm the email address here and I will do it for you.",
    followUp: "Please do it for us, the address is the one in my previous message.",
    resolution: "Done: the account and its personal data are deleted.",
  },
  {
    subject: "Payment page shows a blank screen on Safari",
    status: "closed",
    priority: "urgent",
    tags: ["payments", "bug", "browser"],
    message: "Customers on Safari see a blank white page when they reach the payment step. Chrome works.",
    reply: "Hi {customer}, confirmed on Safari 17. Our engineers are deploying a fix right now.",
    note: "Regression from the payment widget update; rollback deployed at 14:05.",
    resolution: "The fix is live and Safari payments work again. Thank you for the quick report.",
  },
];

export type DemoOrgSpec = {
  name: string;
  slug: string;
  timezone: string;
  product: string;
  /** [admin, agent, agent2, customer, customer2] */
  people: [string, string, string, string, string];
};

export const DEMO_ORGS: DemoOrgSpec[] = [
  {
    name: "Acme Support",
    slug: "acme",
    timezone: "America/New_York",
    product: "Acme Cloud",
    people: ["Dana Whitfield", "Marcus Chen", "Priya Raman", "Jordan Ellis", "Sofia Alvarez"],
  },
  {
    name: "Globex",
    slug: "globex",
    timezone: "Europe/Berlin",
    product: "Globex Portal",
    people: ["Hannah Vogel", "Lukas Brandt", "Amara Okafor", "Tobias Keller", "Elena Rossi"],
  },
];

export const DEMO_ROLES = [
  { local: "admin", role: "admin" },
  { local: "agent", role: "agent" },
  { local: "agent2", role: "agent" },
  { local: "customer", role: "customer" },
  { local: "customer2", role: "customer" },
] as const;
