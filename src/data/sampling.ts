/**
 * Pure samplers over logits. Randomness is an explicit uniform number u in [0, 1) supplied by
 * the caller (e.g. drawn from a split key), so every sampler is a deterministic function.
 * Logits may contain -Infinity (probability 0) but not NaN or +Infinity.
 */

function checkLogits(logits: ArrayLike<number>, who: string): void {
  if (logits.length === 0) throw new RangeError(`${who}: empty logits`);
  let finite = false;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i] as number;
    if (Number.isNaN(x) || x === Infinity) throw new RangeError(`${who}: logit ${i} is ${x}; expected a finite number or -Infinity`);
    if (x !== -Infinity) finite = true;
  }
  if (!finite) throw new RangeError(`${who}: every logit is -Infinity, nothing can be sampled`);
}

function checkU(u: number, who: string): void {
  if (!(u >= 0 && u < 1)) throw new RangeError(`${who}: u must be a uniform number in [0, 1), got ${u}`);
}

/** Index of the largest logit (the first one on ties). */
export function sampleGreedy(logits: ArrayLike<number>): number {
  checkLogits(logits, 'sampleGreedy');
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/** Inverse-CDF draw from softmax(logits / T) restricted to `candidates`. */
function drawTempered(logits: ArrayLike<number>, candidates: ArrayLike<number>, temperature: number, u: number): number {
  let max = -Infinity;
  for (let j = 0; j < candidates.length; j++) max = Math.max(max, logits[candidates[j] as number] as number);
  // Weights exp((x - max) / T) ≤ 1: subtracting the max first keeps huge logits and tiny
  // temperatures finite; T = ∞ gives weight 1 to every finite logit (the uniform limit).
  const weights = new Float64Array(candidates.length);
  let total = 0;
  for (let j = 0; j < candidates.length; j++) {
    const x = logits[candidates[j] as number] as number;
    const w = x === -Infinity ? 0 : temperature === Infinity ? 1 : Math.exp((x - max) / temperature);
    weights[j] = w;
    total += w;
  }
  const target = u * total;
  let acc = 0;
  let last = -1;
  for (let j = 0; j < candidates.length; j++) {
    const w = weights[j] as number;
    if (w === 0) continue;
    acc += w;
    last = j;
    if (target < acc) return candidates[j] as number;
  }
  // Rounding can leave acc a hair below target when u is close to 1: take the last possible.
  return candidates[last] as number;
}

function allIndices(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * Draws an index from softmax(logits / temperature) using u in [0, 1). Temperature 0 is
 * exactly sampleGreedy (u is ignored); Infinity is uniform over the entries with finite logits.
 */
export function sampleTemperature(logits: ArrayLike<number>, temperature: number, u: number): number {
  if (!(temperature >= 0)) throw new RangeError(`sampleTemperature: temperature must be >= 0, got ${temperature}`);
  if (temperature === 0) return sampleGreedy(logits);
  checkLogits(logits, 'sampleTemperature');
  checkU(u, 'sampleTemperature');
  return drawTempered(logits, allIndices(logits.length), temperature, u);
}

/**
 * Keeps the k largest logits (ties broken towards the lower index) and draws among them as
 * sampleTemperature does; never returns an index outside that top k. Temperature 0 is greedy.
 */
export function sampleTopK(logits: ArrayLike<number>, k: number, temperature: number, u: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`sampleTopK: k must be a positive integer, got ${k}`);
  if (!(temperature >= 0)) throw new RangeError(`sampleTopK: temperature must be >= 0, got ${temperature}`);
  if (temperature === 0) return sampleGreedy(logits);
  checkLogits(logits, 'sampleTopK');
  checkU(u, 'sampleTopK');
  const order = Array.from(allIndices(logits.length)).sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  return drawTempered(logits, order.slice(0, Math.min(k, order.length)), temperature, u);
}
