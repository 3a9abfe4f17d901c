import { rule } from '../../src/scanner/rules/BWK-TMP-SHARED.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: "the invocation's own scratch directory", code: "import { writeFile } from 'node:fs/promises';\nimport { join } from 'node:path';\nexport const handler = async (event, context) => {\n  await writeFile(join(context.tmpdir, 'upload.bin'), Buffer.from(event.body, 'base64'));\n  return { statusCode: 201 };\n};\n" },
    { name: 'mkdtemp under os.tmpdir()', code: "const fs = require('fs');\nconst os = require('os');\nconst path = require('path');\nexports.handler = async () => {\n  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'render-'));\n  await fs.promises.writeFile(path.join(dir, 'page.html'), '<p>hi</p>');\n};\n" },
    { name: 'random names in /tmp', code: "import { writeFileSync } from 'fs';\nimport { randomUUID } from 'crypto';\nexport const save = (data) => writeFileSync(`/tmp/${randomUUID()}.json`, JSON.stringify(data));\n" },
    { name: 'reading a fixed /tmp path and writing elsewhere', code: "const fs = require('fs');\nmodule.exports.load = () => fs.readFileSync('/tmp/warmup.json', 'utf8');\nmodule.exports.save = (d) => fs.writeFileSync('/srv/data/state.json', d);\n" },
    { name: 'a path that merely mentions tmp', code: "import { writeFile } from 'node:fs/promises';\nexport const put = (root, d) => writeFile(`${root}/tmp/cache.json`, d);\n" },
  ],
  invalid: [
    { name: 'fixed /tmp file', code: "const fs = require('fs');\nexports.handler = async (event) => {\n  fs.writeFileSync('/tmp/cache.json', JSON.stringify(event.body));\n  return { statusCode: 200 };\n};\n", errors: [{ messageId: 'fixedTmp', line: 3 }] },
    { name: 'path.join(os.tmpdir(), name) through a const', code: "import os from 'node:os';\nimport path from 'node:path';\nimport { appendFile } from 'node:fs/promises';\nconst LOG = path.join(os.tmpdir(), 'audit.log');\nexport const record = (line) => appendFile(LOG, line + '\\n');\n", errors: [{ messageId: 'fixedTmp', line: 5 }] },
    { name: 'template and concatenation with tmpdir', code: "const { tmpdir } = require('os');\nconst { createWriteStream, mkdirSync } = require('fs');\nmkdirSync(`${tmpdir()}/thumbnails`, { recursive: true });\nmodule.exports.out = () => createWriteStream(tmpdir() + '/thumbnails/latest.png');\n", errors: [{ messageId: 'fixedTmp', line: 3 }, { messageId: 'fixedTmp', line: 4 }] },
    { name: 'rename onto a fixed /var/tmp name', code: "import { rename } from 'fs/promises';\nexport const publish = (src) => rename(src, '/var/tmp/report.pdf');\n", errors: [{ messageId: 'fixedTmp', line: 2 }] },
  ],
});
