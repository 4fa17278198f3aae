/**
 * @module engine/consistent-read
 * A window read that sums packed segments and scans the unpacked tail is several
 * statements; a pack, a compaction's merge, an erasure or retention committing between
 * two of them would let it see two packing states — a trace counted in a segment and again
 * in the tail, or in neither. The store bumps the flow's packing generation in the commit of
 * each such change, the read takes it with its segment list (one statement) and compares it
 * after its last statement: equal, every statement saw the same packing; otherwise (or when
 * a listed segment is gone) the read is made again. Outcomes do not bump it: a late outcome
 * changes no membership, and the summaries carry their own delta counts.
 */
import { SegmentChangedError, StoreUnavailableError } from "../domain/errors.js";
import type { WindowSource } from "./ports.js";

/** Reads made before giving up (a store packing that often is reported as unavailable). */
export const CONSISTENT_READ_ATTEMPTS = 3;

/** A read's result with the generation it listed its segments at and the one read after its last statement (closeRead). */
export interface GenerationRead<T> {
  value: T;
  generation: number;
  generationAfter: number;
}

/**
 * Ends a read whose statements have all answered: asks for the generation now, then computes
 * the value (`finish`: the hashing and summing left, which the generation read overlaps).
 */
export async function closeRead<T>(source: Pick<WindowSource, "packingGeneration">, flowKey: string, generation: number, finish: () => Promise<T>): Promise<GenerationRead<T>> {
  const after = source.packingGeneration(flowKey);
  after.catch(() => {}); // awaited below, after `finish`
  const value = await finish();
  return { value, generation, generationAfter: await after };
}

/** `read()`'s value once no packing change fell between its statements; 503 after CONSISTENT_READ_ATTEMPTS tries. */
export async function consistentRead<T>(read: () => Promise<GenerationRead<T>>, flowKey: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await read();
      if (r.generationAfter === r.generation) return r.value;
    } catch (e) {
      if (!(e instanceof SegmentChangedError)) throw e;
    }
    if (attempt >= CONSISTENT_READ_ATTEMPTS) throw new StoreUnavailableError(new Error(`flow ${flowKey}: packing changed during ${attempt} window reads`));
  }
}
