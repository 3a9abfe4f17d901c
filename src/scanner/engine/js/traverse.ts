// @babel/traverse is CommonJS with its function on `default`; this is the one place that unwraps it.

import traverseModule from '@babel/traverse';

type Traverse = typeof traverseModule extends { default: infer D } ? D : typeof traverseModule;
const mod = traverseModule as unknown as { default?: Traverse };
export const traverse: Traverse = mod.default ?? (traverseModule as unknown as Traverse);
