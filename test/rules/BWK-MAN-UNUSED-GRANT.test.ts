import { rule } from '../../src/scanner/rules/BWK-MAN-UNUSED-GRANT.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const head = 'name: orders\nhandler: src/index.ts#handler\nowner: team@example.com\nexpires: 2027-06-30\ntriggers:\n  - http: { method: POST, path: / }\n';

testRule(rule, {
  valid: [
    { name: 'every grant referenced (TypeScript)', files: {
      'bulwark.yaml': `${head}permissions:\n  egress: [api.stripe.com:443]\n  secrets: [STRIPE_KEY]\n`,
      'src/index.ts': "export async function handler(event: unknown, context: any): Promise<unknown> {\n  const key: string = await context.secrets.get('STRIPE_KEY');\n  return context.fetch('https://api.stripe.com/v1/charges', { headers: { authorization: key } });\n}\n",
    } },
    { name: 'kv and invoke referenced across files', files: {
      'bulwark.yaml': `${head}permissions:\n  kv: { carts: read-write }\n  invoke: [billing]\n`,
      'src/index.js': "import { save } from './store.js';\nexport const handler = async (e, ctx) => { await save(ctx, e); return ctx.invoke('billing', {}); };\n",
      'src/store.js': "export const save = (ctx, e) => ctx.kv.put('carts', e.id, e);\n",
    } },
    { name: 'computed secret names: cannot tell', files: {
      'bulwark.yaml': `${head}permissions:\n  secrets: [KEY_EU, KEY_US]\n`,
      'src/index.js': "export const handler = async (e, context) => context.secrets.get(`KEY_${e.region}`);\n",
    } },
    { name: 'no source files: nothing to judge', files: { 'bulwark.yaml': `${head}permissions:\n  secrets: [API_TOKEN]\n` } },
  ],
  invalid: [
    { name: 'secret never read', files: {
      'bulwark.yaml': `${head}permissions:\n  secrets: [STRIPE_KEY, LEGACY_TOKEN]\n`,
      'src/index.js': "export const handler = async (e, { secrets }) => ({ statusCode: 200, body: String((await secrets.get('STRIPE_KEY')).length) });\n",
    }, errors: [{ messageId: 'unused', line: 8, file: 'bulwark.yaml' }] },
    { name: 'egress host never fetched', files: {
      'bulwark.yaml': `${head}permissions:\n  egress:\n    - api.github.com:443\n    - hooks.slack.com:443\n`,
      'src/index.ts': "export const handler = async (_e: unknown, ctx: { fetch: typeof fetch }) => ctx.fetch('https://api.github.com/repos');\n",
    }, errors: [{ messageId: 'unused', line: 10 }] },
    { name: 'kv namespace unused', files: {
      'bulwark.yaml': `${head}permissions:\n  kv:\n    sessions: read\n    audit: read-write\n`,
      'src/index.mjs': "export async function handler(event, context) { return context.kv.get('sessions', event.id); }\n",
    }, errors: [{ messageId: 'unused', line: 10 }] },
    { name: 'invoke target never called', files: {
      'bulwark.yaml': `${head}permissions:\n  invoke: [mailer]\n`,
      'src/index.js': "exports.handler = async () => ({ statusCode: 204 });\n",
    }, errors: [{ messageId: 'unused', line: 8 }] },
  ],
});
