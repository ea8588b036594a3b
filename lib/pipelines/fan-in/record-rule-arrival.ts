/**
 * One arrival of a batch of unknown size (trigger.complete): a file, the batch's manifest, or
 * its marker. Record it; start the batch's run when its rule says it is complete.
 *
 * Primary course: a file → one UpdateItem (ADD its key, ALL_NEW). The manifest → read it from
 * S3, check every key it lists is a file of this batch, and record the list as the batch's
 * required set. The marker → record it. Then decideByRule: a manifest batch starts once the
 * manifest and every file it lists arrived (in any order); a marker batch starts with the files
 * in the marker's folder (listed in S3, so a file whose event is still on its way is not left
 * out); a quiet batch never starts here (the sweeper starts it). The run lock and the
 * execution name keep it to one run; the started mark records which rule completed it.
 *
 * Alternatives: a file its batch's manifest does not list → "ignored" (logged); any arrival
 * after the start → "duplicate".
 */
import { decideByRule, batchObjects, type BatchItem } from '../batch';
import { folderOf, renderPattern } from '../../registry/patterns';
import { windowMinutesOf, type CompletionRule } from '../../registry/pipeline-index';
import type { BatchObject, FileArrival } from '../../contracts/messages';
import type { PipelineTrigger } from '../../registry/schema';
import { InvalidManifestError, MAX_MANIFEST_BYTES, parseManifest } from './manifest';
import type { ArrivalOutcome, RecordArrivalDeps } from './record-arrival';

type Rule = Exclude<CompletionRule, { kind: 'files' }>;

export async function recordRuleArrival(
  arrival: FileArrival,
  rule: Rule,
  trigger: PipelineTrigger,
  deps: RecordArrivalDeps,
  start: (
    item: BatchItem,
    decision: Extract<ReturnType<typeof decideByRule>, { action: 'start' }>,
    objects: BatchObject[],
  ) => Promise<ArrivalOutcome>,
): Promise<ArrivalOutcome> {
  const context = { now: deps.clock(), windowMinutes: windowMinutesOf(trigger), ttlDays: deps.ttlDays };
  let item: BatchItem;
  if (arrival.role === 'manifest') {
    let listed;
    try {
      listed = await readManifest(arrival, deps);
    } catch (error) {
      // A manifest removed after its batch ran: a late redelivery of its event changes nothing.
      const ran = (error as Error).name === 'NoSuchKey' ? await deps.batches.get(arrival.pipeline, arrival.batchKey) : undefined;
      if (ran?.startedRunKey) return { kind: 'duplicate', runKey: ran.startedRunKey };
      throw error;
    }
    item = await deps.batches.recordCompletionObject({ arrival, ...listed }, context);
  } else if (arrival.role === 'marker') {
    item = await deps.batches.recordCompletionObject({ arrival }, context);
  } else {
    item = await deps.batches.recordArrival(arrival, { ...context, byKey: { quiet: rule.kind === 'quiet' } });
  }
  const decision = decideByRule(item, rule);
  if (decision.action === 'duplicate') return { kind: 'duplicate', runKey: decision.runKey };
  if (decision.action === 'wait') {
    const known = item.manifestKeys !== undefined && !arrival.role;
    const listed = [...(item.manifestKeys ?? []), ...(item.manifestOptionalKeys ?? [])];
    if (rule.kind === 'manifest' && known && !listed.includes(arrival.key)) return { kind: 'ignored', reason: 'not-in-manifest' };
    return { kind: 'waiting', missing: decision.missing };
  }
  let objects = batchObjects(item, decision.members);
  if (rule.kind === 'marker') objects = await withListedFiles(objects, arrival, rule.template, deps);
  return start(item, decision, objects);
}

/** The manifest's keys, each checked to be a file of this very batch. */
async function readManifest(
  arrival: FileArrival,
  deps: RecordArrivalDeps,
): Promise<{ manifestKeys: string[]; manifestOptionalKeys: string[] }> {
  const where = `s3://${arrival.bucket}/${arrival.key}`;
  if (!deps.objects) throw new InvalidManifestError(`no S3 reader to read manifest ${where}`);
  if (arrival.size > MAX_MANIFEST_BYTES) {
    throw new InvalidManifestError(`manifest ${where} is ${arrival.size} bytes, more than the ${MAX_MANIFEST_BYTES} read`);
  }
  const text = await deps.objects.read(arrival.bucket, arrival.key, arrival.versionId);
  const manifest = parseManifest(text, arrival.bucket, where);
  const foreign = [...manifest.required, ...manifest.optional].filter((key) => {
    const match = deps.registry.match(arrival.bucket, key, arrival.bucket);
    return match?.pipeline !== arrival.pipeline || match.batchKey !== arrival.batchKey || match.role !== undefined;
  });
  if (foreign.length) {
    throw new InvalidManifestError(
      `manifest ${where} lists ${foreign.length} key(s) that are not files of batch "${arrival.batchKey}" of pipeline "${arrival.pipeline}" (its file patterns decide): ${foreign.slice(0, 5).join(', ')}`,
    );
  }
  return { manifestKeys: manifest.required, manifestOptionalKeys: manifest.optional };
}

/**
 * A marker batch: the files in the marker's folder now (S3 lists what was written before the
 * marker, whatever order its events come in), with what the arrivals recorded.
 */
async function withListedFiles(
  recorded: BatchObject[],
  marker: FileArrival,
  template: string,
  deps: RecordArrivalDeps,
): Promise<BatchObject[]> {
  if (!deps.objects) return recorded;
  const captures = deps.registry.match(marker.bucket, marker.key, marker.bucket)?.captures;
  if (!captures) return recorded;
  const folder = renderPattern(folderOf(template), captures);
  const byKey = new Map(recorded.map((object) => [object.key, object]));
  for await (const listed of deps.objects.list(marker.bucket, folder)) {
    if (byKey.has(listed.key)) continue;
    const match = deps.registry.match(marker.bucket, listed.key, marker.bucket);
    if (match?.pipeline !== marker.pipeline || match.batchKey !== marker.batchKey || match.role) continue;
    byKey.set(listed.key, { file: match.file, bucket: marker.bucket, key: listed.key, size: listed.size, etag: listed.etag });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
