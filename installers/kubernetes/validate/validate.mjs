#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
// Checks Kubernetes manifests against the Kubernetes API schema (the npm package kubernetes-models),
// before any cluster sees them.
//
//   node validate.mjs [--modules DIR] [--dump] FILE...
//
// Every YAML document of every FILE is checked; each problem is printed as
// "FILE: document N (KIND NAME): MESSAGE" on stderr and the exit status is 1. With --dump, the parsed
// documents are printed on stdout as JSON ([{"file": ..., "documents": [...]}]) when all are valid,
// for tools that want to read the manifests without a YAML parser of their own.
//
// The packages are looked up in DIR (a node_modules directory), else in $FULCRUM_NODE_MODULES, else
// next to this script, so that they can be installed outside the source tree.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const usage = 'usage: node validate.mjs [--modules DIR] [--dump] FILE...';

function fail(message, status = 2) {
    process.stderr.write(`validate.mjs: ${message}\n`);
    process.exit(status);
}

const args = process.argv.slice(2);
let modulesDir = process.env.FULCRUM_NODE_MODULES || '';
let dump = false;
const files = [];
for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--modules') {
        if (i + 1 >= args.length)
            fail(usage);
        modulesDir = args[++i];
    } else if (args[i] === '--dump') {
        dump = true;
    } else if (args[i].startsWith('-')) {
        fail(`unknown option ${args[i]}\n${usage}`);
    } else {
        files.push(args[i]);
    }
}
if (files.length === 0)
    fail(usage);
if (!modulesDir)
    modulesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules');
modulesDir = path.resolve(modulesDir);
if (!existsSync(path.join(modulesDir, 'kubernetes-models')) || !existsSync(path.join(modulesDir, 'yaml')))
    fail(`kubernetes-models and yaml are not installed in ${modulesDir} (run ./fulcrum.sh setup, or npm ci ` +
         `in installers/kubernetes/validate)`);

// kubernetes-models 4 keeps CommonJS builds, which a require rooted in modulesDir finds wherever that is;
// ESM imports would only look next to this script.
const require = createRequire(path.join(modulesDir, 'noop.js'));
const YAML = require('yaml');

// The model class for apiVersion and kind, or a reason why there is none.
function modelFor(apiVersion, kind) {
    if (typeof apiVersion !== 'string' || typeof kind !== 'string')
        return { reason: 'apiVersion and kind must be strings' };
    let group;
    try {
        group = require(`kubernetes-models/${apiVersion}`);
    } catch {
        return { reason: `unknown apiVersion ${apiVersion}` };
    }
    const model = group[kind];
    if (typeof model !== 'function' || model.kind !== kind)
        return { reason: `unknown kind ${kind} in ${apiVersion}` };
    return { model };
}

// The schema allows fields it does not know (it has no additionalProperties: false), while the API
// server rejects or drops them: a misspelt "readinesProbe" would pass. The generated validators read
// every field their schema defines, so a field of a fixed-shape object that the validator never read is
// unknown. Objects the validator enumerates (labels, annotations, ConfigMap data) are maps: any key goes.
function tracked(value, at, objects) {
    if (Array.isArray(value))
        return value.map((item, i) => tracked(item, `${at}/${i}`, objects));
    if (value === null || typeof value !== 'object')
        return value;
    const record = { at, keys: Object.keys(value), read: new Set(), enumerated: false };
    objects.push(record);
    const copy = {};
    for (const key of record.keys)
        copy[key] = tracked(value[key], `${at}/${key}`, objects);
    return new Proxy(copy, {
        get(target, key, receiver) {
            if (typeof key === 'string')
                record.read.add(key);
            return Reflect.get(target, key, receiver);
        },
        has(target, key) {
            if (typeof key === 'string')
                record.read.add(key);
            return Reflect.has(target, key);
        },
        ownKeys(target) {
            record.enumerated = true;
            return Reflect.ownKeys(target);
        },
    });
}

function schemaErrors(model, document) {
    const objects = [];
    const errors = [];
    try {
        model.prototype.validate.call(tracked(document, '', objects));
    } catch (error) {
        const details = Array.isArray(error.errors) ? error.errors : [];
        if (details.length === 0)
            errors.push(String(error.message || error));
        for (const detail of details) {
            let message = `${detail.instancePath || '/'} ${detail.message}`;
            if (detail.params && detail.params.allowedValues)
                message += ` (${detail.params.allowedValues.join(', ')})`;
            errors.push(message);
        }
        // Below a type error the validator stops reading, so unread fields there say nothing.
        return errors;
    }
    const reported = [];
    for (const object of objects) {
        if (object.enumerated || reported.some((at) => object.at === at || object.at.startsWith(`${at}/`)))
            continue;
        for (const key of object.keys.filter((k) => !object.read.has(k))) {
            errors.push(`${object.at}/${key} is not a field of the schema`);
            reported.push(`${object.at}/${key}`);
        }
    }
    return errors;
}

// kustomize's own file is no API object: check its shape and that what it lists exists.
const kustomizationFields = new Set(['apiVersion', 'kind', 'metadata', 'namespace', 'namePrefix', 'nameSuffix',
    'labels', 'commonLabels', 'commonAnnotations', 'resources', 'components', 'configMapGenerator',
    'secretGenerator', 'generatorOptions', 'images', 'replicas', 'patches', 'patchesStrategicMerge',
    'patchesJson6902', 'buildMetadata']);

function kustomizationErrors(document, file) {
    const errors = [];
    for (const key of Object.keys(document)) {
        if (!kustomizationFields.has(key))
            errors.push(`/${key} is not a field of a Kustomization`);
    }
    const resources = document.resources ?? [];
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) {
        errors.push('/resources must be a list of file names');
        return errors;
    }
    for (const resource of resources) {
        const target = path.resolve(path.dirname(file), resource);
        if (!existsSync(target) || !statSync(target).isFile())
            errors.push(`/resources lists ${resource}, which is not a file next to it`);
    }
    return errors;
}

let failures = 0;
const dumped = [];
for (const file of files) {
    const report = (what, message) => {
        process.stderr.write(`${file}: ${what}: ${message}\n`);
        ++failures;
    };
    let text;
    try {
        text = readFileSync(file, 'utf8');
    } catch (error) {
        report('cannot read', error.message);
        continue;
    }
    const parsed = YAML.parseAllDocuments(text, { prettyErrors: true });
    const documents = [];
    parsed.forEach((yamlDocument, index) => {
        const where = `document ${index + 1}`;
        for (const error of yamlDocument.errors)
            report(where, `YAML: ${error.message}`);
        if (yamlDocument.errors.length > 0)
            return;
        const document = yamlDocument.toJS();
        if (document === null || document === undefined)
            return; // an empty document, e.g. after a trailing "---"
        if (typeof document !== 'object' || Array.isArray(document)) {
            report(where, 'not a Kubernetes object (a mapping with apiVersion and kind)');
            return;
        }
        documents.push(document);
        const name = document.metadata && document.metadata.name ? ` ${document.metadata.name}` : '';
        const what = `${where} (${document.kind}${name})`;
        let errors;
        if (document.kind === 'Kustomization' && String(document.apiVersion).startsWith('kustomize.config.k8s.io/')) {
            errors = kustomizationErrors(document, file);
        } else {
            const { model, reason } = modelFor(document.apiVersion, document.kind);
            errors = model ? schemaErrors(model, document) : [reason];
        }
        for (const error of errors)
            report(what, error);
    });
    dumped.push({ file, documents });
}
if (failures > 0) {
    process.stderr.write(`validate.mjs: ${failures} problem(s) found\n`);
    process.exit(1);
}
if (dump)
    process.stdout.write(`${JSON.stringify(dumped)}\n`);
else
    process.stdout.write(`validate.mjs: ${files.length} file(s) valid\n`);
