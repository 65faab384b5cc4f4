// SPDX-License-Identifier: Apache-2.0
// Validates every object of a multi-document Kubernetes YAML stream (a file, or stdin for "-")
// against the Kubernetes API schemas that kubernetes-models generates from the OpenAPI
// definitions, then applies a few rules the API server enforces that no schema expresses.
//
//   node tests/chart/validate.mjs rendered.yaml
//
// Prints one line per object and exits 0 when all are valid; otherwise prints each error on
// stderr as "validate: DOC KIND/NAME: PATH: MESSAGE" and exits 1. Exit 2 for a usage or I/O
// error, or a document that is not YAML.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// kubernetes-models puts the core group at "kubernetes-models/v1" and every other group at
// "kubernetes-models/<group>/<version>", one class per kind.
async function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  let mod;
  try {
    mod = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    return null;
  }
  return typeof mod[kind] === "function" ? mod[kind] : null;
}

// The API server's name rules (k8s.io/apimachinery/pkg/util/validation).
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function checkQualifiedKey(key, path, errors) {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : "";
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    errors.push(`${path}: key "${key}" has an invalid prefix`);
  }
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) {
    errors.push(`${path}: key "${key}" is not a valid qualified name`);
  }
}

function checkMetadata(meta, path, errors) {
  if (!meta || typeof meta.name !== "string") {
    errors.push(`${path}/name: is required`);
    return;
  }
  if (meta.name.length > 253 || !DNS1123_SUBDOMAIN.test(meta.name)) {
    errors.push(`${path}/name: "${meta.name}" is not a DNS-1123 subdomain`);
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    checkQualifiedKey(key, `${path}/labels`, errors);
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      errors.push(`${path}/labels: value ${JSON.stringify(value)} of "${key}" is not a valid label value`);
    }
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    checkQualifiedKey(key, `${path}/annotations`, errors);
  }
}

// A pod spec: container names unique DNS-1123 labels, every mount names a volume of the pod.
function checkPodSpec(spec, path, errors) {
  if (!spec) return;
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  const names = new Set();
  for (const group of ["initContainers", "containers"]) {
    (spec[group] ?? []).forEach((c, i) => {
      const at = `${path}/${group}/${i}`;
      if (!DNS1123_LABEL.test(c.name ?? "") || c.name.length > 63) {
        errors.push(`${at}/name: "${c.name}" is not a DNS-1123 label`);
      }
      if (names.has(c.name)) errors.push(`${at}/name: "${c.name}" is used twice`);
      names.add(c.name);
      (c.volumeMounts ?? []).forEach((m, j) => {
        if (!volumes.has(m.name)) {
          errors.push(`${at}/volumeMounts/${j}/name: no volume "${m.name}" in the pod`);
        }
      });
    });
  }
}

// A JobSpec: podFailurePolicy needs restartPolicy Never, and its rules name real containers.
function checkJobSpec(spec, path, errors) {
  if (!spec) return;
  const podSpec = spec.template?.spec;
  checkMetadata({ name: "template", ...spec.template?.metadata }, `${path}/template/metadata`, errors);
  checkPodSpec(podSpec, `${path}/template/spec`, errors);
  if (spec.podFailurePolicy && podSpec?.restartPolicy !== "Never") {
    errors.push(`${path}/template/spec/restartPolicy: must be Never when podFailurePolicy is set`);
  }
  const containers = new Set([...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])].map((c) => c.name));
  (spec.podFailurePolicy?.rules ?? []).forEach((rule, i) => {
    const name = rule.onExitCodes?.containerName;
    if (name !== undefined && !containers.has(name)) {
      errors.push(`${path}/podFailurePolicy/rules/${i}/onExitCodes/containerName: no container "${name}"`);
    }
  });
  if (spec.completionMode === "Indexed" && spec.completions == null) {
    errors.push(`${path}/completions: is required when completionMode is Indexed`);
  }
}

function apiServerRules(object) {
  const errors = [];
  checkMetadata(object.metadata, "/metadata", errors);
  if (object.kind === "Pod") checkPodSpec(object.spec, "/spec", errors);
  if (object.kind === "Job") checkJobSpec(object.spec, "/spec", errors);
  if (object.kind === "CronJob") checkJobSpec(object.spec?.jobTemplate?.spec, "/spec/jobTemplate/spec", errors);
  return errors;
}

async function main(argv) {
  if (argv.length !== 1) {
    console.error("usage: node validate.mjs FILE.yaml   (\"-\" reads stdin)");
    return 2;
  }
  const source = argv[0];
  let text;
  try {
    text = readFileSync(source === "-" ? 0 : source, "utf8");
  } catch (error) {
    console.error(`validate: cannot read ${source}: ${error.message}`);
    return 2;
  }
  let failed = false;
  let count = 0;
  const docs = parseAllDocuments(text);
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      console.error(`validate: document ${index + 1}: not YAML: ${doc.errors[0].message}`);
      return 2;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;  // an empty document
    count += 1;
    const label = `document ${index + 1} ${object.kind}/${object.metadata?.name}`;
    const Model = await modelClass(object.apiVersion, object.kind);
    if (Model === null) {
      console.error(`validate: ${label}: unknown apiVersion/kind ${object.apiVersion}/${object.kind}`);
      failed = true;
      continue;
    }
    const errors = [];
    try {
      new Model(object).validate();
    } catch (error) {
      const details = error.errors ?? [{ instancePath: "", message: error.message }];
      for (const e of details) errors.push(`${e.instancePath || "/"}: ${e.message}`);
    }
    errors.push(...apiServerRules(object));
    for (const e of errors) console.error(`validate: ${label}: ${e}`);
    if (errors.length > 0) failed = true;
    else console.log(`valid: ${object.apiVersion} ${object.kind} ${object.metadata.name}`);
  }
  if (count === 0) {
    console.error(`validate: ${source} holds no objects`);
    return 1;
  }
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
