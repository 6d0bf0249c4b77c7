// node validate-csaf.mjs FILE.json...  -> JSON schema (strict) + every CSAF 2.0 mandatory test
// (the "basic" preset of @secvisogram/csaf-validator-lib). One line per file: PASS/FAIL, then
// one indented line per failed test. Exit 1 if any file fails.
import { readFile } from 'node:fs/promises';
import * as basic from '@secvisogram/csaf-validator-lib/basic.js';
import validate from '@secvisogram/csaf-validator-lib/validate.js';
let passed = 0, failed = 0;
for (const file of process.argv.slice(2)) {
  const r = await validate(Object.values(basic), JSON.parse(await readFile(file, 'utf8')));
  if (r.isValid) { passed++; console.log(`PASS ${file}`); continue; }
  failed++; console.log(`FAIL ${file}`);
  for (const t of r.tests.filter((t) => !t.isValid)) for (const e of t.errors) console.log(`  ${t.name} ${e.instancePath}: ${e.message}`);
}
console.log(`${passed} passed, ${failed} failed`); process.exit(failed ? 1 : 0);
