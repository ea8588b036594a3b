/** The sample queue service's message: how long to "work", and when it was sent. */
import * as z from 'zod';

export const SampleWorkMessageSchema = z.strictObject({
  id: z.string().min(1),
  /** Simulated processing time. */
  workMs: z.number().int().nonnegative().max(3_600_000),
  /** ISO time the producer sent it (latency = finish - sentAt). */
  sentAt: z.string(),
  /** Make the worker fail this message (poison-message demos). */
  fail: z.boolean().optional(),
});
export type SampleWorkMessage = z.infer<typeof SampleWorkMessageSchema>;
