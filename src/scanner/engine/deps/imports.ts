// A cheap import scan for BWK-DEP-UNUSED: regular expressions over the source text, no parse. It errs
// towards "used": any string that looks like a module specifier in an import/export/require/import()
// counts, commented-out code included, so a false "unused" needs the package to be really absent.

const specifierPatterns = [
  /\b(?:import|export)\s+(?:type\s+)?[\w$*{}\s,]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
  /\bimport\s*['"]([^'"\n]+)['"]/g,
  /\b(?:require(?:\.resolve)?|import)\s*\(\s*['"`]([^'"`\n]+)['"`]/g,
];

/** `@scope/pkg/sub/path` → `@scope/pkg`, `pkg/sub` → `pkg`; relative, absolute and `node:` specifiers → undefined. */
export function packageOf(specifier: string): string | undefined {
  if (/^[./]|^[a-z]+:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? (parts.length > 1 ? `${parts[0]}/${parts[1]}` : undefined) : parts[0];
}

export function importedPackages(source: string, into: Set<string>): void {
  if (!/\b(?:import|require|export)\b/.test(source)) return;
  for (const pattern of specifierPatterns) {
    for (const m of source.matchAll(pattern)) {
      const name = packageOf(m[1]!);
      if (name) into.add(name);
    }
  }
}

/** Words of package.json scripts: a dependency whose name or binary appears there is used by the project. */
export function scriptWords(manifest: Record<string, unknown>): Set<string> {
  const words = new Set<string>();
  const scripts = manifest.scripts;
  if (typeof scripts !== 'object' || scripts === null) return words;
  for (const cmd of Object.values(scripts)) {
    if (typeof cmd !== 'string') continue;
    for (const w of cmd.split(/[\s;&|()=<>"']+/)) {
      if (w === '') continue;
      words.add(w);
      // `node -r dotenv/config`, `--require ts-node/register`, `--import tsx`
      const pkg = packageOf(w);
      if (pkg) words.add(pkg);
    }
  }
  return words;
}
