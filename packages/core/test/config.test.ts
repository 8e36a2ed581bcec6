import { configFromEnv, instrumentationListWarnings, instrumentationWanted } from '@tracewire/core';
import { parseResourceAttributes, resourceFromEnv } from '../src/resource';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

describe('configFromEnv', () => {
  it('has the OTel defaults', () => {
    const config = configFromEnv({});
    expect(config.disabled).toBe(false);
    expect(config.exporter).toBe('otlp');
    expect(config.batch).toEqual({ maxQueueSize: 2048, maxQueueBytes: 64 * 1024 * 1024, maxExportBatchSize: 512, scheduleDelayMillis: 5000, exportTimeoutMillis: 30000 });
    expect(config.limits.attributeCountLimit).toBe(128);
    expect(config.limits.eventCountLimit).toBe(128);
    expect(config.sampler.description).toBe('ParentBased{root=AlwaysOnSampler}');
    expect(config.warnings).toEqual([]);
  });

  it('reads the OTEL_* variables', () => {
    const config = configFromEnv({
      OTEL_SDK_DISABLED: 'TRUE',
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_BSP_MAX_QUEUE_SIZE: '10',
      TRACEWIRE_BSP_MAX_QUEUE_BYTES: '1048576',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_EXPORT_TIMEOUT: '2000',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '7',
      OTEL_TRACES_SAMPLER: 'always_off',
      OTEL_PROPAGATORS: 'b3',
    });
    expect(config.disabled).toBe(true);
    expect(config.exporter).toBe('console');
    expect(config.batch).toEqual({ maxQueueSize: 10, maxQueueBytes: 1048576, maxExportBatchSize: 5, scheduleDelayMillis: 100, exportTimeoutMillis: 2000 });
    expect(config.limits.attributeCountLimit).toBe(7);
    expect(config.sampler.description).toBe('AlwaysOffSampler');
    expect(config.propagators).toBe('b3');
  });

  it.each([
    [{ OTEL_BSP_MAX_QUEUE_SIZE: 'lots' }, /OTEL_BSP_MAX_QUEUE_SIZE="lots" is not a whole number >= 1; using 2048/],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '0' }, /OTEL_BSP_MAX_QUEUE_SIZE="0"/],
    [{ OTEL_BSP_SCHEDULE_DELAY: '-5' }, /OTEL_BSP_SCHEDULE_DELAY="-5"/],
    [{ TRACEWIRE_BSP_MAX_QUEUE_BYTES: '64MiB' }, /TRACEWIRE_BSP_MAX_QUEUE_BYTES="64MiB" is not a whole number >= 1; using 67108864/],
    [{ TRACEWIRE_BSP_MAX_QUEUE_BYTES: '0' }, /TRACEWIRE_BSP_MAX_QUEUE_BYTES="0"/],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER="jaeger" is not supported/],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '4', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '8' }, /larger than OTEL_BSP_MAX_QUEUE_SIZE/],
  ])('warns clearly on %p', (env, message) => {
    const config = configFromEnv(env as Record<string, string>);
    expect(config.warnings.join('\n')).toMatch(message);
  });

  it('only SDK_DISABLED=true disables', () => {
    expect(configFromEnv({ OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false);
    expect(configFromEnv({ OTEL_SDK_DISABLED: '1' }).disabled).toBe(false);
  });
});

describe('resource', () => {
  it.each([
    ['a=1,b=two', { a: '1', b: 'two' }, 0],
    [' service.name = shop%20api , x=%2C', { 'service.name': 'shop api', x: ',' }, 0],
    ['novalue,=nokey,ok=1', { ok: '1' }, 2],
    ['bad=%E0%A4%A', {}, 1],
    ['', {}, 0],
  ])('parses OTEL_RESOURCE_ATTRIBUTES %p', (raw, expected, warningCount) => {
    const warnings: string[] = [];
    expect(parseResourceAttributes(raw, warnings)).toEqual(expected);
    expect(warnings).toHaveLength(warningCount);
  });

  it('service.name precedence: OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then package.json, then unknown', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-res-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'my-shop', version: '1.2.3' }));
    fs.mkdirSync(path.join(dir, 'src'));
    const entry = path.join(dir, 'src', 'server.js');
    const name = (env: Record<string, string>, e = entry): unknown => resourceFromEnv(env, [], e).attributes['service.name'];
    expect(name({ OTEL_SERVICE_NAME: 'env-name', OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name' })).toBe('env-name');
    expect(name({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-name' })).toBe('attr-name');
    expect(name({})).toBe('my-shop');
    expect(resourceFromEnv({}, [], entry).attributes['service.version']).toBe('1.2.3');
  });

  it('falls back to unknown_service:node when no package.json names the app', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-res-none-'));
    const inModules = path.join(root, 'node_modules', 'x');
    fs.mkdirSync(inModules, { recursive: true });
    // The walk stops at node_modules, so no package.json above is used.
    expect(resourceFromEnv({}, [], path.join(inModules, 'index.js')).attributes['service.name']).toBe('unknown_service:node');
  });
});

describe('OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  const ALL = ['@tracewire/http', '@tracewire/express', '@tracewire/koa', '@tracewire/pg', '@tracewire/postgres'];
  const wanted = (env: Record<string, string>): string[] => ALL.filter((name) => instrumentationWanted(name, env));

  it('turns every instrumentation on when neither is set (or both are blank)', () => {
    expect(wanted({})).toEqual(ALL);
    expect(wanted({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' ', OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' })).toEqual(ALL);
  });

  it('the enabled list names the only ones on: short names, any case, spaces and empty members ignored', () => {
    expect(wanted({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: ' HTTP , express,, ' })).toEqual(['@tracewire/http', '@tracewire/express']);
    expect(wanted({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: '@tracewire/pg' })).toEqual(['@tracewire/pg']);
  });

  it('the disabled list takes names off, after the enabled list: a name in both is off', () => {
    expect(wanted({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg,postgres' })).toEqual(['@tracewire/http', '@tracewire/express', '@tracewire/koa']);
    expect(wanted({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,express', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' })).toEqual(['@tracewire/http']);
    expect(instrumentationWanted('pg', { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' })).toBe(false);
  });

  it('says which names it does not know, per variable, and nothing when all are known', () => {
    expect(instrumentationListWarnings(ALL, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,express' })).toEqual([]);
    expect(instrumentationListWarnings(ALL, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'dns,grpc' })).toEqual([
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS names fs, which tracewire does not have (it has http, express, koa, pg, postgres); ignored.',
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS names dns, grpc, which tracewire does not have (it has http, express, koa, pg, postgres); ignored.',
    ]);
  });
});
