#!/usr/bin/env node
// Validates CycloneDX 1.5 JSON documents against the official schema with ajv, independently of
// DSS's own validator (src/sbom, valijson). Used by tests/sbom/project_sbom_test.cc on DSS's own
// SBOM; see docs/adr/0032-project-sbom.md.
//
//   node tools/sbom-check/check.js SCHEMA_DIR DOCUMENT.json...
//
// SCHEMA_DIR holds the vendored schemas (data/schemas/): bom-1.5.schema.json and the two files it
// references, spdx.schema.json and jsf-0.82.schema.json. Nothing is fetched from the network.
// Every "format" the schema uses (date-time, iri-reference, idn-email) is checked; an unknown
// format is an error, not silently ignored.
// Exit status: 0 every document is valid; 1 a document is invalid (each problem printed, with
// its JSON pointer); 2 the check itself could not run (missing modules, unreadable files).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function fail(message) {
  process.stderr.write(`sbom-check: ${message}\n`);
  process.exit(2);
}

let Ajv, addFormats, addDraft2019Formats;
try {
  Ajv = require('ajv').default;
  addFormats = require('ajv-formats').default;
  addDraft2019Formats = require('ajv-formats-draft2019');
} catch (e) {
  fail(`cannot load ajv (${e.code || e.message}); install the pinned packages with ` +
       '`npm ci --ignore-scripts` in tools/sbom-check (scripts/bootstrap.sh does this)');
}

const args = process.argv.slice(2);
if (args.length < 2) fail('usage: check.js SCHEMA_DIR DOCUMENT.json...');
const [schemaDir, ...documents] = args;

function readJson(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return { notJson: e.message };
  }
}

const schemaFile = (name) => {
  const value = readJson(path.join(schemaDir, name));
  if (value && value.notJson) fail(`${name} in ${schemaDir} is not JSON: ${value.notJson}`);
  return value;
};

// The official schema is draft-07 and uses no keyword outside it, so ajv's strict mode stays
// on (unknown keywords and formats are errors), except three checks that judge how the schema
// is written, not the SBOM: "type" not repeated beside a keyword (strictTypes), tuples without
// maxItems (strictTuples), and "required" naming a property declared in a sibling branch
// (strictRequired, which the schema's oneOf for licenses does). All three are legal draft-07.
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  useDefaults: false, // never alter the document under test
  loadSchema: undefined, // no remote references
});
// The schema's one keyword outside draft-07: human-readable descriptions of enum values.
ajv.addKeyword({ keyword: 'meta:enum', schemaType: 'object' }); // an annotation, validates nothing
addFormats(ajv); // date-time, uri, email, ...
addDraft2019Formats(ajv, { formats: ['iri-reference', 'idn-email'] });
ajv.addSchema(schemaFile('spdx.schema.json'));
ajv.addSchema(schemaFile('jsf-0.82.schema.json'));
let validate;
try {
  validate = ajv.compile(schemaFile('bom-1.5.schema.json'));
} catch (e) {
  fail(`the CycloneDX 1.5 schema does not compile: ${e.message}`);
}

let invalid = 0;
for (const file of documents) {
  const doc = readJson(file);
  if (doc && doc.notJson) {
    process.stdout.write(`${file}: not JSON: ${doc.notJson}\n`);
    ++invalid;
    continue;
  }
  if (doc.bomFormat !== 'CycloneDX' || doc.specVersion !== '1.5') {
    process.stdout.write(`${file}: not a CycloneDX 1.5 document (bomFormat ${JSON.stringify(doc.bomFormat)}, ` +
                         `specVersion ${JSON.stringify(doc.specVersion)})\n`);
    ++invalid;
    continue;
  }
  if (validate(doc)) {
    process.stdout.write(`${file}: valid CycloneDX 1.5 (ajv ${require('ajv/package.json').version})\n`);
    continue;
  }
  ++invalid;
  process.stdout.write(`${file}: INVALID against bom-1.5.schema.json:\n`);
  for (const err of validate.errors) {
    process.stdout.write(`  - ${err.instancePath || '/'}: ${err.message} (${err.schemaPath})\n`);
  }
}
process.exit(invalid === 0 ? 0 : 1);
