// The resource describes the process that emits spans. service.name follows
// the OTel precedence: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then
// (tracewire's addition) the app's package.json name, then unknown_service:node.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type Env, keyValueMembers, percentDecode } from './config';
import type { Attributes, Resource } from './types';
import { VERSION } from './version';

/** Parses OTEL_RESOURCE_ATTRIBUTES (`k=v,k2=v2`, values percent-encoded). Bad members are skipped with a warning. */
export function parseResourceAttributes(raw: string | undefined, warnings: string[]): Attributes {
  const out: Attributes = {};
  if (!raw) return out;
  for (const [key, encoded] of keyValueMembers(raw, 'OTEL_RESOURCE_ATTRIBUTES', warnings)) {
    const value = percentDecode(encoded);
    if (value !== undefined) out[key] = value;
    else warnings.push(`OTEL_RESOURCE_ATTRIBUTES value for ${key} is not valid percent-encoding; skipped.`);
  }
  return out;
}

interface AppPackage {
  name?: string;
  version?: string;
}

/** The nearest package.json above the entry script (or cwd), if it has a name. */
export function findAppPackage(start: string | undefined): AppPackage {
  let dir = start ? path.dirname(path.resolve(start)) : process.cwd();
  for (let i = 0; i < 32; i++) {
    const file = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as AppPackage;
      if (typeof pkg.name === 'string' && pkg.name) return pkg;
    } catch {
      // no package.json here (or unreadable): keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir || path.basename(dir) === 'node_modules') break;
    dir = parent;
  }
  return {};
}

/** `host.arch` as the OTel semantic conventions name Node's `process.arch` values (the OTel SDK's mapping). */
export function hostArch(arch: string): string {
  switch (arch) {
    case 'arm':
      return 'arm32';
    case 'ppc':
      return 'ppc32';
    case 'x64':
      return 'amd64';
    case 'ia32':
      return 'x86';
    default:
      return arch;
  }
}

/** `os.type` as the OTel semantic conventions name Node's `process.platform` values. */
export function osType(platform: string): string {
  switch (platform) {
    case 'sunos':
      return 'solaris';
    case 'win32':
      return 'windows';
    default:
      return platform;
  }
}

/**
 * `service.instance.id`: a random UUID per process, as the OTel SDK makes it.
 * Made when the resource is first read (the first export) rather than at
 * start-up, which then does not load the crypto module: a getter that becomes
 * the value.
 */
function lazyInstanceId(attributes: Attributes): void {
  Object.defineProperty(attributes, 'service.instance.id', {
    enumerable: true,
    configurable: true,
    get(this: Attributes): string {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const id = (require('crypto') as typeof import('crypto')).randomUUID();
      Object.defineProperty(this, 'service.instance.id', { value: id, enumerable: true, configurable: true, writable: true });
      return id;
    },
  });
}

export function resourceFromEnv(env: Env, warnings: string[], entry: string | undefined = process.argv[1]): Resource {
  const fromEnv = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES, warnings);
  // The OTel SDK's default detectors (host, os, process, service instance), less what can carry secrets (command lines).
  const attributes: Attributes = {
    'telemetry.sdk.name': 'tracewire',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': VERSION,
    'host.name': os.hostname(),
    'host.arch': hostArch(process.arch),
    'os.type': osType(process.platform),
    'process.pid': process.pid,
    'process.executable.name': process.title,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
  };
  if (fromEnv['service.instance.id'] === undefined) lazyInstanceId(attributes);
  Object.assign(attributes, fromEnv);
  const envName = env.OTEL_SERVICE_NAME?.trim();
  if (envName) attributes['service.name'] = envName;
  else if (!fromEnv['service.name']) {
    const pkg = findAppPackage(entry);
    attributes['service.name'] = pkg.name ?? 'unknown_service:node';
    if (pkg.name && pkg.version && !fromEnv['service.version']) attributes['service.version'] = pkg.version;
  }
  return { attributes };
}
