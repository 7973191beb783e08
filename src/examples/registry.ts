/** The tour's examples, in the study guide's order. */
import type { Example } from './example';

export const examples: readonly Example[] = [];
