import { z } from "zod";
import { FIELD_TYPES } from "../db/schema/workspace";

// Contracts of the custom ticket field API (SPEC §13; docs/decisions/050-custom-fields-views-bulk.md).

export const MAX_FIELDS = 100;
export const MAX_OPTIONS = 200;
const zOption = z.string().trim().min(1).max(100);

export const zFieldKey = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z][a-z0-9_]*$/, { message: "a key is lower-case letters, digits and _, starting with a letter" });

const withOptions = (v: { type: string; options?: string[] }, ctx: z.RefinementCtx) => {
  const choice = v.type === "dropdown" || v.type === "multiselect";
  if (choice && (v.options?.length ?? 0) === 0)
    ctx.addIssue({ code: "custom", path: ["options"], message: `a ${v.type} needs at least one option` });
  if (!choice && v.options !== undefined && v.options.length > 0)
    ctx.addIssue({ code: "custom", path: ["options"], message: `only dropdown and multiselect fields have options` });
  const dup = (v.options ?? []).filter((o, i, all) => all.indexOf(o) !== i);
  if (dup.length)
    ctx.addIssue({
      code: "custom",
      path: ["options"],
      message: `options must be unique: ${[...new Set(dup)].join(", ")}`,
    });
};

const flags = {
  /** A new ticket must carry a value (asked of whoever may set the field: customers only for customer-editable ones). */
  requiredOnCreate: z.boolean().optional(),
  /** A ticket cannot be solved without a value. */
  requiredOnSolve: z.boolean().optional(),
  /** Customers see the value on their tickets (otherwise it is never in their answers). */
  customerVisible: z.boolean().optional(),
  /** Customers may set it (only a customer-visible field can be). */
  customerEditable: z.boolean().optional(),
  position: z.number().int().min(0).max(10_000).optional(),
};

export const ZFieldInput = z
  .strictObject({
    key: zFieldKey,
    label: z.string().trim().min(1).max(100),
    type: z.enum(FIELD_TYPES),
    options: z.array(zOption).max(MAX_OPTIONS).optional(),
    ...flags,
  })
  .superRefine((v, ctx) => {
    withOptions(v, ctx);
    if (v.customerEditable && !v.customerVisible)
      ctx.addIssue({
        code: "custom",
        path: ["customerEditable"],
        message: "a customer-editable field must be customer-visible",
      });
  });
export type FieldInput = z.infer<typeof ZFieldInput>;

/** A PATCH: the fields sent replace the definition's own (key and type are fixed once created). */
export const ZFieldPatch = z
  .strictObject({
    label: z.string().trim().min(1).max(100).optional(),
    options: z.array(zOption).max(MAX_OPTIONS).optional(),
    ...flags,
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change" });
export type FieldPatch = z.infer<typeof ZFieldPatch>;

export const ZField = z.object({
  id: z.uuid(),
  key: z.string(),
  label: z.string(),
  type: z.enum(FIELD_TYPES),
  options: z.array(z.string()),
  requiredOnCreate: z.boolean(),
  requiredOnSolve: z.boolean(),
  customerVisible: z.boolean(),
  customerEditable: z.boolean(),
  position: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type FieldView = z.infer<typeof ZField>;

/**
 * customFields on a ticket write: values by field key, checked against the org's definitions when
 * the request runs (a wrong type or an unknown option is 400); null clears a value.
 */
export const ZCustomFieldsInput = z
  .record(
    z.string().max(40),
    z.union([z.string().max(10_000), z.number(), z.boolean(), z.array(z.string().max(100)).max(MAX_OPTIONS), z.null()]),
  )
  .refine((r) => Object.keys(r).length <= MAX_FIELDS, { message: `at most ${MAX_FIELDS} fields` })
  .meta({
    description:
      "Values of the org's custom ticket fields by key (GET /api/v1/fields): text and textarea a string, integer and decimal a number, " +
      "date YYYY-MM-DD, checkbox a boolean, dropdown one of its options, multiselect a list of them; null clears a value. " +
      "An unknown key, a wrong type or an unknown option is 400; customers may set customer-editable fields only (403).",
  });
export type CustomFieldsInput = z.infer<typeof ZCustomFieldsInput>;

export const ZCustomFields = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
  .meta({
    description: "Values of the org's custom ticket fields by key; customers see customer-visible fields only.",
  });
