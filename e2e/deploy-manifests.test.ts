/**
 * The production manifests (deploy/kubernetes) validate against the Kubernetes OpenAPI schemas
 * (kubernetes-models), and carry the isolation layers they promise: default-deny network
 * policy, workers reaching only the API and declared target ranges, the server reaching only
 * PostgreSQL, the vault and webhook receivers, and hardened pods.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Namespace, ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

const ROOT = fileURLToPath(new URL('../deploy/kubernetes/', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
const MODELS: Record<string, new (o: Doc) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

function load(): Array<{ file: string; doc: Doc }> {
  return files(ROOT).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
      assert.deepEqual(d.errors, [], `${relative(ROOT, file)} parses`);
      return { file: relative(ROOT, file), doc: d.toJS() as Doc };
    }),
  );
}

test('every manifest validates against the Kubernetes schema', (t) => {
  const docs = load().filter((d) => d.doc.kind !== 'Kustomization');
  assert.ok(docs.length >= 12, `found ${docs.length} objects`);
  for (const { file, doc } of docs) {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(Model, `${file}: ${doc.apiVersion} ${doc.kind} has a validator`);
    assert.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind} ${doc.metadata?.name}`);
  }
  t.diagnostic(`validated ${docs.length} objects`);
});

test('the validator itself rejects a broken manifest', () => {
  const broken = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'three', selector: {}, template: { spec: { containers: [{ image: 'x' }] } } } };
  assert.throws(() => new Deployment(broken as Doc).validate());
});

test('network policy: default deny; workers reach only the API and target ranges; the server only the database, vault and webhooks', () => {
  const pols = new Map(load().filter((d) => d.doc.kind === 'NetworkPolicy' && d.doc.metadata.namespace === 'parapet').map((d) => [d.doc.metadata.name as string, d.doc]));
  const deny = pols.get('default-deny');
  assert.deepEqual(deny.spec.podSelector, {});
  assert.deepEqual([...deny.spec.policyTypes].sort(), ['Egress', 'Ingress']);
  assert.equal(deny.spec.ingress, undefined);
  assert.equal(deny.spec.egress, undefined);

  const worker = pols.get('parapet-worker');
  assert.deepEqual(worker.spec.ingress, [], 'nothing may connect to a worker');
  const apiRule = worker.spec.egress.find((e: Doc) => e.to.some((x: Doc) => x.podSelector?.matchLabels?.['parapet.dev/role'] === 'server'));
  assert.deepEqual(apiRule.ports, [{ protocol: 'TCP', port: 8443 }]);
  for (const e of worker.spec.egress) {
    for (const to of e.to) {
      assert.ok(!to.namespaceSelector, 'workers never reach another namespace (the database lives in one)');
      if (to.ipBlock) assert.ok(!/^0\.0\.0\.0\/0$|^::\/0$/.test(to.ipBlock.cidr), 'no open-world egress for workers');
    }
  }

  const server = pols.get('parapet-server');
  const reach = server.spec.egress.flatMap((e: Doc) => e.to.map((to: Doc) => ({ to, ports: e.ports })));
  assert.ok(reach.every((r: Doc) => r.ports?.length), 'every server egress names its ports');
  assert.ok(reach.some((r: Doc) => r.to.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'parapet-db' && r.ports[0].port === 5432));
  for (const r of reach) if (r.to.ipBlock) assert.ok(!/^0\.0\.0\.0\/0$|^::\/0$/.test(r.to.ipBlock.cidr), 'no open-world egress for the server');
});

test('pods run hardened: non-root, no privilege escalation, read-only root, all capabilities dropped, limits set', () => {
  const workloads = load().filter((d) => d.doc.kind === 'Deployment' || d.doc.kind === 'Job');
  assert.ok(workloads.length >= 3);
  for (const { file, doc } of workloads) {
    const pod = doc.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true, `${file}: runAsNonRoot`);
    assert.equal(pod.automountServiceAccountToken, false, `${file}: no API token in the pod`);
    for (const c of pod.containers) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${file}/${c.name}`);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${file}/${c.name}`);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], `${file}/${c.name}`);
      assert.ok(c.resources.limits.memory && c.resources.limits.cpu, `${file}/${c.name}: limits`);
    }
  }
});
