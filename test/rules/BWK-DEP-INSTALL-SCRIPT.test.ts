import { rule } from '../../src/scanner/rules/BWK-DEP-INSTALL-SCRIPT.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const manifest = (extra: object) => JSON.stringify({ name: 'img', version: '1.0.0', dependencies: { sharp: '^0.33.0' }, ...extra }, null, 2);
const lock = JSON.stringify({ name: 'img', lockfileVersion: 3, packages: { '': { name: 'img', dependencies: { sharp: '^0.33.0' } }, 'node_modules/sharp': { version: '0.33.5', hasInstallScript: true, dependencies: { color: '^4.2.3' } }, 'node_modules/color': { version: '4.2.3' } } }, null, 2);
const pnpm6 = (requiresBuild: string) => `lockfileVersion: '6.0'

dependencies:
  bcrypt:
    specifier: ^5.1.0
    version: 5.1.1

packages:

  /bcrypt@5.1.1:
    resolution: {integrity: sha512-eeee}
    engines: {node: '>= 10.0.0'}${requiresBuild}
    dev: false
`;

testRule(rule, {
  valid: [
    { name: 'no package with install scripts', files: { 'package.json': manifest({}), 'package-lock.json': lock.replace('"hasInstallScript": true,', '') } },
    { name: 'denied in allowScripts', files: { 'package.json': manifest({ allowScripts: { sharp: false } }), 'package-lock.json': lock } },
    { name: 'pnpm neverBuiltDependencies', files: { 'package.json': manifest({ pnpm: { neverBuiltDependencies: ['bcrypt'] } }), 'pnpm-lock.yaml': pnpm6('\n    requiresBuild: true') } },
    { name: 'pnpm entry without requiresBuild', files: { 'pnpm-lock.yaml': pnpm6('') } },
    { name: 'pnpm onlyBuiltDependencies that leaves it out', files: { 'package.json': manifest({ pnpm: { onlyBuiltDependencies: ['esbuild'] } }), 'pnpm-lock.yaml': pnpm6('\n    requiresBuild: true') } },
  ],
  invalid: [
    { name: 'install script, no decision', files: { 'package.json': manifest({}), 'package-lock.json': lock }, errors: [{ messageId: 'installScript', file: 'package-lock.json', line: 11 }] },
    { name: 'allowed explicitly: still listed, at low severity', files: { 'package.json': manifest({ allowScripts: { sharp: true } }), 'package-lock.json': lock }, errors: [{ messageId: 'allowedInstallScript' }] },
    { name: 'allowScripts for another version range does not decide', files: { 'package.json': manifest({ allowScripts: { 'sharp@<0.30.0': false } }), 'package-lock.json': lock }, errors: [{ messageId: 'installScript' }] },
    { name: 'pnpm requiresBuild', files: { 'pnpm-lock.yaml': pnpm6('\n    requiresBuild: true') }, errors: [{ messageId: 'installScript', line: 10 }] },
    { name: 'pnpm onlyBuiltDependencies lists it', files: { 'package.json': manifest({ pnpm: { onlyBuiltDependencies: ['bcrypt'] } }), 'pnpm-lock.yaml': pnpm6('\n    requiresBuild: true') }, errors: [{ messageId: 'allowedInstallScript' }] },
  ],
});
