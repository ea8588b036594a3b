/** The sample queue service's message: how long to "work", and when it was sent. */
import * as v from '../shared/validation';

export const SampleWorkMessageSchema = v.strictObject({
  id: v.string().min(1),
  /** Simulated processing time. */
  workMs: v.number().int().nonnegative().max(3_600_000),
  /** ISO time the producer sent it (latency = finish - sentAt). */
  sentAt: v.string(),
  /** Make the worker fail this message (poison-message demos). */
  fail: v.boolean().optional(),
});
export type SampleWorkMessage = v.Infer<typeof SampleWorkMessageSchema>;
