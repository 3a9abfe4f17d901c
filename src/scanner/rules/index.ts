// The rule registry: every rule by id, sorted, listed by hand (as ESLint's lib/rules/index.js) so that
// adding a rule is a reviewed one-line change, never a file that happens to sit in this folder.

import type { Rule } from '../types.ts';

export const rules: Record<string, Rule<any>> = {
};
