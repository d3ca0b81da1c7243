import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { getMetadataStorage } from 'class-validator';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { parseAllDocuments } from 'yaml';
import { EnvironmentSchema, ProviderEnvironment, loadConfig, sha256Hex } from '@breakwater/config';
import { REMOTE_PROVIDER_IDS } from '@breakwater/contracts';
import { HealthModule } from '@breakwater/health';
import { MetricsController } from '@breakwater/observability';

// Every manifest of deploy/k8s against the Kubernetes schemas (kubernetes-models, KEDA's models), the
// kustomizations rendered as kustomize would for the features they use, and the rendered objects checked
// against the app itself: its environment schema (loadConfig), its ports, health routes and metrics path.

const K8S = join(__dirname, '../deploy/k8s');
const REPO = join(__dirname, '..');

type Json = Record<string, unknown>;
interface K8sObject extends Json {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/** The model class of every kind used; validate() checks an object against its OpenAPI schema. */
const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/Namespace': Namespace,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};
/** No model of it is installed (@kubernetes-models/prometheus-operator): checked field by field below. */
const SERVICE_MONITOR = 'monitoring.coreos.com/v1/ServiceMonitor';
const CLUSTER_SCOPED = ['Namespace'];

function documents(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    return document.toJS() as K8sObject;
  });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return name.endsWith('.yaml') && name !== 'kustomization.yaml' ? [path] : [];
  });
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const named = (items: unknown[]): items is Json[] =>
  items.every((item) => isObject(item) && typeof item.name === 'string');

/**
 * A strategic merge as kustomize does it for what these patches touch: maps merge key by key, lists
 * whose items all have a `name` (containers, env, volumes) merge item by item, other lists are replaced
 * (as kustomize does for custom resources, whose lists have no merge key).
 */
function merge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const merged: Json = { ...base };
    for (const [key, value] of Object.entries(patch)) merged[key] = merge(base[key], value);
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(patch) && named(base) && named(patch)) {
    const merged = base.map((item) => {
      const over = patch.find((candidate) => candidate.name === item.name);
      return over ? merge(item, over) : item;
    });
    return [...merged, ...patch.filter((item) => !base.some((candidate) => candidate.name === item.name))];
  }
  return patch;
}

const KUSTOMIZATION_FIELDS = ['apiVersion', 'kind', 'namespace', 'resources', 'images', 'patches'];

/** `kubectl kustomize <dir>` for the fields above; any other field fails, so this cannot silently drift. */
function render(dir: string): K8sObject[] {
  const [kustomization] = documents(join(dir, 'kustomization.yaml')) as unknown as [
    {
      namespace?: string;
      resources: string[];
      images?: { name: string; newName?: string; newTag?: string }[];
      patches?: Json[];
    },
  ];
  const unknown = Object.keys(kustomization).filter((key) => !KUSTOMIZATION_FIELDS.includes(key));
  if (unknown.length > 0)
    throw new Error(`${dir}: kustomization fields this renderer lacks: ${unknown.join(', ')}`);
  let objects = kustomization.resources.flatMap((resource) => {
    const path = join(dir, resource);
    return statSync(path).isDirectory() ? render(path) : documents(path);
  });
  for (const entry of kustomization.patches ?? []) {
    if (Object.keys(entry).join() !== 'path') throw new Error(`${dir}: only path patches are rendered`);
    for (const patch of documents(join(dir, String(entry.path)))) {
      const target = objects.findIndex(
        (object) => object.kind === patch.kind && object.metadata.name === patch.metadata.name,
      );
      if (target < 0) throw new Error(`${dir}: patch ${patch.kind}/${patch.metadata.name} matches nothing`);
      objects[target] = merge(objects[target], patch) as K8sObject;
    }
  }
  const namespace = kustomization.namespace;
  if (namespace) {
    objects = objects.map((object) =>
      CLUSTER_SCOPED.includes(object.kind)
        ? object
        : { ...object, metadata: { ...object.metadata, namespace } },
    );
  }
  for (const image of kustomization.images ?? []) {
    for (const container of objects.flatMap(containersOf)) {
      if (container.image.split(':')[0] !== image.name) continue;
      container.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
    }
  }
  return objects;
}

interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value: string }[];
  envFrom: ({ configMapRef: { name: string } } | { secretRef: { name: string } })[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Json;
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: Json;
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

function containersOf(object: K8sObject): Container[] {
  if (object.kind !== 'Deployment') return [];
  return (object.spec as { template: { spec: PodSpec } }).template.spec.containers;
}

const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
};
const podOf = (deployment: K8sObject) =>
  (deployment.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;

/** A route of the app, from its controllers' own decorators. */
function routeOf(controller: abstract new (...args: never[]) => unknown, method?: string): string {
  const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
  if (!method) return `/${base}`;
  const handler = (controller.prototype as Record<string, object>)[method];
  return `/${base}/${Reflect.getMetadata(PATH_METADATA, handler) as string}`;
}
const [HealthController] = Reflect.getMetadata('controllers', HealthModule) as [
  abstract new (...args: never[]) => unknown,
];
const LIVE = routeOf(HealthController, 'live');
const READY = routeOf(HealthController, 'ready');

/** Every environment variable the app reads: its schema's fields and each remote provider's three. */
function knownVariables(): Set<string> {
  const fields = (schema: new () => object) =>
    getMetadataStorage()
      .getTargetValidationMetadatas(schema, '', true, false)
      .map((metadata) => metadata.propertyName);
  const provider = fields(ProviderEnvironment).flatMap((field) =>
    REMOTE_PROVIDER_IDS.map((id) => `${id.toUpperCase()}_${field}`),
  );
  return new Set([...fields(EnvironmentSchema), ...provider]);
}

/** The files kustomizations name as patches: partial objects, validated once merged. */
function patchFiles(): string[] {
  return readdirSync(K8S).flatMap((overlay) => {
    const file = join(K8S, overlay, 'kustomization.yaml');
    if (!existsSync(file)) return [];
    const [kustomization] = documents(file) as unknown as [{ patches?: { path: string }[] }];
    return (kustomization.patches ?? []).map((patch) => join(K8S, overlay, patch.path));
  });
}

const secretExample = () => documents(join(K8S, 'secret.example.yaml'));
const stringData = (secret: K8sObject) => secret.stringData as Record<string, string>;

describe('Kubernetes manifests', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'breakwater-k8s-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The environment a container of `deployment` starts with, Secrets taken from the example. */
  function environmentOf(objects: K8sObject[], container: Container): Record<string, string> {
    const env: Record<string, string> = {};
    for (const source of container.envFrom) {
      const data =
        'configMapRef' in source
          ? (find(objects, 'ConfigMap', source.configMapRef.name).data as Record<string, string>)
          : stringData(secretExample().find((secret) => secret.metadata.name === source.secretRef.name)!);
      Object.assign(env, data);
    }
    for (const variable of container.env ?? []) env[variable.name] = variable.value;
    return env;
  }

  /** The callers Secret's file, with its placeholder replaced as the example says, where CALLERS_FILE says. */
  function withCallersFile(env: Record<string, string>): Record<string, string> {
    const callers = stringData(find(secretExample(), 'Secret', 'breakwater-callers'))['callers.yaml'];
    const file = join(dir, 'callers.yaml');
    writeFileSync(file, callers.replace(/REPLACE-\S+/, sha256Hex('an-operator-key-of-their-own')));
    return { ...env, CALLERS_FILE: file };
  }

  it('every manifest validates against its Kubernetes or KEDA schema (patches once rendered, below)', () => {
    const files = yamlFiles(K8S).filter((file) => !patchFiles().includes(file));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      for (const object of documents(file)) {
        const key = `${object.apiVersion}/${object.kind}`;
        if (key === SERVICE_MONITOR) continue;
        const Model = MODELS[key];
        if (!Model) throw new Error(`${relative(K8S, file)}: no schema for ${key}`);
        expect(() => new Model(object as never).validate()).not.toThrow();
      }
    }
  });

  it('a broken manifest fails validation (the schemas are really applied)', () => {
    const [gateway] = documents(join(K8S, 'base/gateway-deployment.yaml'));
    const broken = merge(gateway, {
      spec: { template: { spec: { containers: [{ name: 'gateway', ports: [{ containerPort: 'http' }] }] } } },
    });
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  it('the base lists every file of its folder, and both kustomizations render', () => {
    const listed = (documents(join(K8S, 'base/kustomization.yaml'))[0] as unknown as { resources: string[] })
      .resources;
    expect([...listed].sort()).toEqual(
      yamlFiles(join(K8S, 'base'))
        .map((file) => relative(join(K8S, 'base'), file))
        .sort(),
    );
    expect(render(join(K8S, 'base')).length).toBeGreaterThanOrEqual(10);
    const production = render(join(K8S, 'production'));
    for (const object of production) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (Model) expect(() => new Model(object as never).validate()).not.toThrow();
      if (!CLUSTER_SCOPED.includes(object.kind)) expect(object.metadata.namespace).toBe('breakwater');
    }
    for (const container of production.flatMap(containersOf)) {
      expect(container.image).toBe('ghcr.io/example/breakwater:0.1.0');
      expect(container.resources.requests.cpu).toBe('500m');
    }
  });

  describe.each(['base', 'production'])('rendered %s', (overlay) => {
    const objects = () => render(join(K8S, overlay));

    it('runs an API-only gateway on the configured port, probed on the health routes, drained as configured', () => {
      const all = objects();
      const deployment = find(all, 'Deployment', 'breakwater-gateway');
      const pod = podOf(deployment).spec;
      const [container] = pod.containers;
      const config = loadConfig(withCallersFile(environmentOf(all, container)));
      expect(config.env.production).toBe(true);
      expect(config.workers.run).toBe(false);
      expect(container.args).toEqual(['node', 'dist/apps/gateway/main.js']);
      expect(existsSync(join(REPO, 'dist/apps/gateway/main.js'))).toBe(true);
      expect(container.ports).toEqual([{ name: 'http', containerPort: config.http.port }]);
      expect(config.http.host).toBe('0.0.0.0');
      expect(container.livenessProbe.httpGet).toEqual({ path: LIVE, port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: READY, port: 'http' });
      expect(container.startupProbe?.httpGet).toEqual({ path: LIVE, port: 'http' });
      // preStop sleeps the drain; the grace period covers it, the process's own drain and the last requests.
      const drainSeconds = config.http.shutdownDrainMs / 1000;
      expect(container.lifecycle?.preStop?.sleep?.seconds).toBe(drainSeconds);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
        2 * drainSeconds + config.resilience.requestTimeoutMs / 1000,
      );
    });

    it('runs workers on WORKER_PORT with the same probes, and time to finish running jobs', () => {
      const all = objects();
      const pod = podOf(find(all, 'Deployment', 'breakwater-worker')).spec;
      const [container] = pod.containers;
      const config = loadConfig(withCallersFile(environmentOf(all, container)));
      expect(container.args).toEqual(['node', 'dist/apps/worker/main.js']);
      expect(existsSync(join(REPO, 'dist/apps/worker/main.js'))).toBe(true);
      expect(container.ports).toEqual([{ name: 'http', containerPort: config.http.workerPort }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: LIVE, port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: READY, port: 'http' });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
        config.http.shutdownDrainMs / 1000 + config.resilience.requestTimeoutMs / 1000,
      );
    });

    it('sets only variables the app reads, runs as non-root on a read-only root, with resources, and mounts CALLERS_FILE', () => {
      const all = objects();
      const known = knownVariables();
      for (const object of all.filter((candidate) => candidate.kind === 'Deployment')) {
        const pod = podOf(object).spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        for (const container of pod.containers) {
          const env = environmentOf(all, container);
          expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
          expect(container.securityContext).toMatchObject({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
          });
          expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
          expect(container.resources.limits.memory).toBeDefined();
          const mount = container.volumeMounts.find(
            (candidate) => candidate.mountPath === dirname(env.CALLERS_FILE),
          );
          const volume = pod.volumes.find((candidate) => candidate.name === mount?.name);
          expect(volume?.secret?.secretName).toBe('breakwater-callers');
        }
      }
    });

    it('selects the pods it means: Services, disruption budgets, autoscalers and the ServiceMonitor', () => {
      const all = objects();
      const gateway = find(all, 'Deployment', 'breakwater-gateway');
      const worker = find(all, 'Deployment', 'breakwater-worker');
      const selects = (selector: Record<string, string>, deployment: K8sObject) =>
        Object.entries(selector).every(([key, value]) => podOf(deployment).metadata.labels[key] === value);
      for (const [name, deployment, other] of [
        ['breakwater-gateway', gateway, worker],
        ['breakwater-worker', worker, gateway],
      ] as const) {
        const service = find(all, 'Service', name).spec as {
          selector: Record<string, string>;
          ports: { name: string; targetPort: string }[];
        };
        expect(selects(service.selector, deployment)).toBe(true);
        expect(selects(service.selector, other)).toBe(false);
        const portNames = podOf(deployment).spec.containers[0].ports.map((port) => port.name);
        for (const port of service.ports) expect(portNames).toContain(port.targetPort);
        const budget = find(all, 'PodDisruptionBudget', name).spec as {
          selector: { matchLabels: Record<string, string> };
        };
        expect(selects(budget.selector.matchLabels, deployment)).toBe(true);
        expect(selects(budget.selector.matchLabels, other)).toBe(false);
      }

      const hpa = find(all, 'HorizontalPodAutoscaler', 'breakwater-gateway').spec as Json;
      expect(hpa).toMatchObject({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'breakwater-gateway' },
        minReplicas: 3,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      });
      expect((gateway.spec as Json).replicas).toBeUndefined();

      const scaled = find(all, 'ScaledObject', 'breakwater-worker').spec as {
        scaleTargetRef: { name: string };
        triggers: { type: string; metadata: { query: string; threshold: string } }[];
      };
      expect(scaled.scaleTargetRef.name).toBe('breakwater-worker');
      expect(scaled.triggers).toHaveLength(1);
      expect(scaled.triggers[0].type).toBe('prometheus');
      expect(scaled.triggers[0].metadata.query).toMatch(
        /^sum\(max by \(state\) \(queue_jobs\{.*state=~"waiting\|prioritized"\}\)\)$/,
      );
      expect(Number(scaled.triggers[0].metadata.threshold)).toBeGreaterThan(0);
      expect((worker.spec as Json).replicas).toBeUndefined();

      const monitor = find(all, 'ServiceMonitor', 'breakwater');
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string; interval: string }[];
      };
      for (const name of ['breakwater-gateway', 'breakwater-worker']) {
        const service = find(all, 'Service', name);
        expect(
          Object.entries(spec.selector.matchLabels).every(([k, v]) => service.metadata.labels?.[k] === v),
        ).toBe(true);
        const ports = (service.spec as { ports: { name: string }[] }).ports.map((port) => port.name);
        for (const endpoint of spec.endpoints) expect(ports).toContain(endpoint.port);
      }
      expect(spec.endpoints).toEqual([{ port: 'http', path: routeOf(MetricsController), interval: '15s' }]);
    });
  });

  it('ships a callers Secret that cannot start a gateway until its placeholder is replaced, and empty provider keys', () => {
    const all = render(join(K8S, 'base'));
    const [container] = podOf(find(all, 'Deployment', 'breakwater-gateway')).spec.containers;
    const env = environmentOf(all, container);
    const callers = stringData(find(secretExample(), 'Secret', 'breakwater-callers'))['callers.yaml'];
    const file = join(dir, 'as-shipped.yaml');
    writeFileSync(file, callers);
    expect(() => loadConfig({ ...env, CALLERS_FILE: file })).toThrow(/key_sha256/);
    const keys = stringData(find(secretExample(), 'Secret', 'breakwater-provider-keys'));
    expect(Object.keys(keys).length).toBe(REMOTE_PROVIDER_IDS.length);
    expect(Object.values(keys).every((value) => value === '')).toBe(true);
    expect(
      Object.values(loadConfig(withCallersFile({ ...env, ...keys })).providers).every((p) => !p.apiKey),
    ).toBe(true);
  });
});
