import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// docker-compose.yml's observability profile, read as Compose would: Docker does not run where these
// tests do, so what is checked is that every file it mounts exists and the pieces point at each other.

const REPO = join(__dirname, '..');

interface Service {
  image?: string;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

const compose = () =>
  parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

/** `./host/path:/container/path:ro` as host path (from the repository) to container path. */
function mounts(service: Service): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((volume) => {
      const [host, container] = volume.split(':');
      return [container, join(REPO, host)];
    }),
  );
}

describe('docker-compose observability profile', () => {
  it('runs Prometheus and Grafana only under the profile, the Breakwater services always', () => {
    const { services } = compose();
    expect(services.prometheus.profiles).toEqual(['observability']);
    expect(services.grafana.profiles).toEqual(['observability']);
    for (const name of ['redis', 'gateway', 'worker']) expect(services[name].profiles).toBeUndefined();
    for (const name of ['prometheus', 'grafana']) {
      for (const port of services[name].ports ?? []) expect(port.startsWith('127.0.0.1:')).toBe(true);
    }
  });

  it('gives Prometheus its config and the alert rules that config names, beside it', () => {
    const volumes = mounts(compose().services.prometheus);
    const config = volumes.get('/etc/prometheus/prometheus.yml');
    expect(config && existsSync(config)).toBe(true);
    const { rule_files } = parse(readFileSync(config!, 'utf8')) as { rule_files: string[] };
    expect(rule_files).toEqual(['alerts.yml']);
    expect(volumes.get('/etc/prometheus/alerts.yml')).toBe(join(REPO, 'deploy/prometheus/alerts.yml'));
  });

  it('provisions Grafana with the compose Prometheus as its datasource and the Breakwater dashboard', () => {
    const grafana = compose().services.grafana;
    const volumes = mounts(grafana);
    const provisioning = volumes.get('/etc/grafana/provisioning')!;
    const datasources = parse(readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8')) as {
      datasources: { type: string; url: string; isDefault: boolean }[];
    };
    const prometheusPort = compose().services.prometheus.ports![0].split(':').at(-1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        type: 'prometheus',
        url: `http://prometheus:${prometheusPort}`,
        isDefault: true,
      }),
    ]);
    const dashboards = parse(readFileSync(join(provisioning, 'dashboards/breakwater.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const folder = dashboards.providers[0].options.path;
    const dashboard = volumes.get(`${folder}/breakwater.json`);
    expect(dashboard).toBe(join(REPO, 'deploy/grafana/breakwater.json'));
    expect(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${folder}/breakwater.json`);
    // The dashboard asks for a Prometheus datasource rather than naming one.
    const json = JSON.parse(readFileSync(dashboard!, 'utf8')) as {
      templating: { list: { name: string; type: string; query: string }[] };
      panels: { datasource?: { uid: string } }[];
    };
    expect(json.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const panel of json.panels.filter((candidate) => candidate.datasource))
      expect(panel.datasource?.uid).toBe('${datasource}');
  });
});
