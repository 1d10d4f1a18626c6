import "server-only";
import type { ZodType } from "zod";
import { ZAttachment } from "../attachments/schemas";
import { ZAuditEvent } from "../audit/list-audit";
import { ZChangePassword } from "../auth/change-password";
import { ZCreateToken } from "../auth/manage-tokens";
import { ZOrgSecurity, ZOrgSecurityView } from "../auth/org-security";
import { ZRecoveryCodes, ZTwoFactorSetup, ZTwoFactorStatus } from "../auth/two-factor";
import { ZAddress, ZCreateAddress, ZUpdateAddress } from "../email/addresses";
import { ZEmailSettings, ZUpdateEmailSettings } from "../email/email-settings";
import { ZInboundSecret, ZNewInboundSecret } from "../email/inbound-webhook";
import { ZConnectMailbox } from "../email/mailboxes";
import { ZAddTicketCc, ZTicketCc } from "../email/ticket-ccs";
import { ZIncrementalPage } from "../export/schemas";
import { ZFlag, ZPutFlag } from "../flags/flags";
import { ZBulkInput, ZBulkJob } from "../bulk/schemas";
import { ZImport, ZImportReport } from "../import/schemas";
import { ZView, ZViewInput, ZViewPatch } from "../views/schemas";
import { ZCustomFields, ZCustomFieldsInput, ZField, ZFieldInput, ZFieldPatch } from "../fields/schemas";
import { ZDeadLetterItem } from "../jobs/manage-dead-letters";
import { ZNotification } from "../notifications/list-notifications";
import { ZSlaSettings } from "../orgs/customer-sla";
import { ZCreatePolicy, ZPolicy, ZUpdatePolicy } from "../sla-policies/schemas";
import {
  ZComment,
  ZCreateComment,
  ZCreateTicket,
  ZCustomerTicket,
  ZTicketEvent,
  ZTicketForCaller,
  ZUpdateTicket,
  zPriority,
  zStatus,
} from "../tickets/schemas";
import { ZCreatedUser, ZCreateUser } from "../users/create-user";
import { ZPasswordResetResult } from "../users/reset-password";
import { ZUpdateUser } from "../users/update-user";
import { ZUser, ZUserDetail } from "../users/user-view";
import { ZCreateWebhook, ZDelivery, ZUpdateWebhook, ZWebhook } from "../webhooks/manage-webhooks";
import { ZAction, ZConditions, ZMacroInput, ZTriggerInput } from "../automation/rule-schemas";
import { ZGroupInput } from "../automation/manage-groups";
import { ZEffect, ZGroup, ZMacro, ZPreview, ZRule, ZRuleTestResult } from "./routes/automation";
import { ZMailbox } from "./routes/email";
import { ZCreatedToken, ZMe, ZTokenItem } from "./routes/me";
import { ZMergeResult, ZMergeTicket } from "../tickets/merge-ticket";
import { ZLinkSatisfaction, ZRate, ZSatisfaction } from "../csat/ratings";
import {
  ZCreateCustomerNote,
  ZCustomerContext,
  ZCustomerNote,
  ZCustomerOrg,
  ZCustomerOrgInput,
  ZCustomerOrgPatch,
} from "../customers/customer-orgs";
import { ZCreateTicketLink, ZTicketLink, ZTicketLinks, ZTicketRef } from "../tickets/ticket-links";

// The shared schemas of the OpenAPI document (components.schemas), by name: wherever one of these
// zod schemas appears in an operation, the document refers to it with $ref instead of repeating it,
// and a generated client gets one named type for it (docs/decisions/044-api-contract.md).
// A schema not listed here is written inline where it is used.

const [ZStaffTicket] = ZTicketForCaller.options;

export const COMPONENT_SCHEMAS: readonly (readonly [string, ZodType])[] = [
  ["TicketStatus", zStatus],
  ["TicketPriority", zPriority],
  ["Ticket", ZStaffTicket],
  ["CustomerTicket", ZCustomerTicket],
  ["TicketForCaller", ZTicketForCaller],
  ["CreateTicket", ZCreateTicket],
  ["UpdateTicket", ZUpdateTicket],
  ["CustomFields", ZCustomFields],
  ["CustomFieldsInput", ZCustomFieldsInput],
  ["TicketField", ZField],
  ["TicketFieldInput", ZFieldInput],
  ["TicketFieldPatch", ZFieldPatch],
  ["View", ZView],
  ["ViewInput", ZViewInput],
  ["ViewPatch", ZViewPatch],
  ["BulkTicketChange", ZBulkJob],
  ["BulkTicketChangeInput", ZBulkInput],
  ["Import", ZImport],
  ["ImportReport", ZImportReport],
  ["Comment", ZComment],
  ["CreateComment", ZCreateComment],
  ["TicketEvent", ZTicketEvent],
  ["TicketCc", ZTicketCc],
  ["AddTicketCc", ZAddTicketCc],
  ["MergeTicket", ZMergeTicket],
  ["MergeResult", ZMergeResult],
  ["TicketRef", ZTicketRef],
  ["TicketLink", ZTicketLink],
  ["TicketLinks", ZTicketLinks],
  ["CreateTicketLink", ZCreateTicketLink],
  ["CustomerOrg", ZCustomerOrg],
  ["CustomerOrgInput", ZCustomerOrgInput],
  ["CustomerOrgPatch", ZCustomerOrgPatch],
  ["CustomerNote", ZCustomerNote],
  ["CreateCustomerNote", ZCreateCustomerNote],
  ["CustomerContext", ZCustomerContext],
  ["Rate", ZRate],
  ["Satisfaction", ZSatisfaction],
  ["LinkSatisfaction", ZLinkSatisfaction],
  ["Attachment", ZAttachment],
  ["User", ZUser],
  ["UserDetail", ZUserDetail],
  ["CreateUser", ZCreateUser],
  ["CreatedUser", ZCreatedUser],
  ["UpdateUser", ZUpdateUser],
  ["PasswordResetResult", ZPasswordResetResult],
  ["Me", ZMe],
  ["ChangePassword", ZChangePassword],
  ["ApiToken", ZTokenItem],
  ["CreateApiToken", ZCreateToken],
  ["CreatedApiToken", ZCreatedToken],
  ["TwoFactorStatus", ZTwoFactorStatus],
  ["TwoFactorSetup", ZTwoFactorSetup],
  ["RecoveryCodes", ZRecoveryCodes],
  ["Webhook", ZWebhook],
  ["CreateWebhook", ZCreateWebhook],
  ["UpdateWebhook", ZUpdateWebhook],
  ["WebhookDelivery", ZDelivery],
  ["SlaPolicy", ZPolicy],
  ["CreateSlaPolicy", ZCreatePolicy],
  ["UpdateSlaPolicy", ZUpdatePolicy],
  ["SlaSettings", ZSlaSettings],
  ["OrgSecurity", ZOrgSecurityView],
  ["UpdateOrgSecurity", ZOrgSecurity],
  ["Notification", ZNotification],
  ["AuditEvent", ZAuditEvent],
  ["FeatureFlag", ZFlag],
  ["PutFeatureFlag", ZPutFlag],
  ["DeadLetter", ZDeadLetterItem],
  ["IncrementalExportPage", ZIncrementalPage],
  ["EmailAddress", ZAddress],
  ["CreateEmailAddress", ZCreateAddress],
  ["UpdateEmailAddress", ZUpdateAddress],
  ["Mailbox", ZMailbox],
  ["ConnectMailbox", ZConnectMailbox],
  ["EmailSettings", ZEmailSettings],
  ["UpdateEmailSettings", ZUpdateEmailSettings],
  ["InboundSecret", ZInboundSecret],
  ["NewInboundSecret", ZNewInboundSecret],
  ["RuleConditions", ZConditions],
  ["RuleAction", ZAction],
  ["Rule", ZRule],
  ["RuleInput", ZTriggerInput],
  ["RuleEffect", ZEffect],
  ["MacroPreview", ZPreview],
  ["RuleTestResult", ZRuleTestResult],
  ["Group", ZGroup],
  ["GroupInput", ZGroupInput],
  ["Macro", ZMacro],
  ["MacroInput", ZMacroInput],
];
