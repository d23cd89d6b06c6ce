// The recommendation job's input records: user behaviour, user profiles and
// product information. The zod schemas validate them where they enter (Kafka);
// the TypeScript types are inferred from the schemas.
import { z } from 'zod';

/** What a user did with a product, in order of intent. */
export const ACTIONS = ['view', 'cart', 'purchase'] as const;
export type Action = (typeof ACTIONS)[number];

/** How much each action says about interest: a purchase outweighs five views. */
export const ACTION_WEIGHT: Readonly<Record<Action, number>> = { view: 1, cart: 3, purchase: 5 };

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'expected an id of letters, digits, ".", "_", ":" or "-"');
const epochMs = z.number().int().nonnegative();

/** One behaviour event, as in Alibaba's UserBehavior data set: who, which product and category, what, when. */
export const behaviourEventSchema = z.object({
  userId: id,
  productId: id,
  category: id,
  action: z.enum(ACTIONS),
  /** Event time, epoch milliseconds. */
  timestamp: epochMs,
});
export type BehaviourEvent = z.infer<typeof behaviourEventSchema>;

export const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'] as const;
export const SEGMENTS = ['budget', 'regular', 'premium'] as const;

/** A user's profile; a new version replaces the old one from its `updatedAt` on. */
export const userProfileSchema = z.object({
  userId: id,
  ageBand: z.enum(AGE_BANDS),
  segment: z.enum(SEGMENTS),
  preferredCategories: z.array(id).max(10),
  updatedAt: epochMs,
});
export type UserProfile = z.infer<typeof userProfileSchema>;

/** A product's catalogue entry; a new version (a price change, say) applies from its `updatedAt` on. */
export const productSchema = z.object({
  productId: id,
  category: id,
  brand: z.string().min(1).max(100),
  price: z.number().positive(),
  updatedAt: epochMs,
});
export type Product = z.infer<typeof productSchema>;
