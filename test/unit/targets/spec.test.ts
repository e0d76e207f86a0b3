import { describe, expect, it } from 'vitest';
import { parseTargetSpec } from '../../../src/targets/spec.js';
import { closeNames, editDistance } from '../../../src/targets/suggest.js';
import { findContainer, runningContainers, type ContainerInfo, type DockerApi } from '../../../src/targets/docker.js';

describe('parseTargetSpec', () => {
  it('reads pid:, netns:, docker:, podman: and bare names (any runtime\'s)', () => {
    expect(parseTargetSpec('pid:42')).toEqual({ kind: 'pid', pid: 42, raw: 'pid:42' });
    expect(parseTargetSpec('netns:blue')).toEqual({ kind: 'netns', name: 'blue', raw: 'netns:blue' });
    expect(parseTargetSpec('docker:box')).toEqual({ kind: 'docker', ref: 'box', raw: 'docker:box' });
    expect(parseTargetSpec('podman:web')).toEqual({ kind: 'podman', ref: 'web', raw: 'podman:web' });
    expect(parseTargetSpec('a1b2c3')).toEqual({ kind: 'name', ref: 'a1b2c3', raw: 'a1b2c3' });
  });
  it('refuses malformed specs with a sentence', () => {
    expect(() => parseTargetSpec('pid:abc')).toThrow(/write pid:N/);
    expect(() => parseTargetSpec('pid:0')).toThrow(/write pid:N/);
    expect(() => parseTargetSpec('netns:../etc')).toThrow(/not a namespace name/);
    expect(() => parseTargetSpec('  ')).toThrow(/empty target/);
    expect(() => parseTargetSpec('docker:')).toThrow(/"docker:" names no container/);
    expect(() => parseTargetSpec('podman:')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

describe('closeNames', () => {
  it('suggests typos and substrings, best first', () => {
    expect(editDistance('web', 'wbe')).toBe(2);
    expect(closeNames('wbe', ['web', 'box', 'database'])).toEqual(['web']);
    expect(closeNames('box', ['box-1', 'box-2', 'zzz'])).toEqual(['box-1', 'box-2']);
    expect(closeNames('nginx', ['postgres'])).toEqual([]);
  });
});

/** A Docker API that answers from a list: tests the matching rules, not Docker. */
function fakeDocker(containers: Array<{ id: string; name: string }>): DockerApi {
  return {
    endpoint: 'unix:///fake.sock',
    listContainers: async () => containers.map((c) => ({ Id: c.id, Names: [`/${c.name}`] })),
    inspect: async (id): Promise<ContainerInfo> => {
      const c = containers.find((x) => x.id === id);
      if (!c) throw new Error('unknown id');
      return { id: c.id, name: c.name, running: true, status: 'running', pid: 1, networkMode: 'bridge', networks: {} };
    },
  };
}

describe('findContainer', () => {
  const api = fakeDocker([
    { id: 'aa11'.padEnd(64, '0'), name: 'box' },
    { id: 'aa22'.padEnd(64, '0'), name: 'web' },
    { id: 'bb33'.padEnd(64, '0'), name: 'aa11' },
  ]);
  it('prefers an exact name over an ID prefix, like docker', async () => {
    expect((await findContainer(api, 'aa11')).name).toBe('aa11');
  });
  it('accepts a full ID and a unique prefix', async () => {
    expect((await findContainer(api, 'aa22'.padEnd(64, '0'))).name).toBe('web');
    expect((await findContainer(api, 'bb')).name).toBe('aa11');
  });
  it('refuses an ambiguous prefix, listing the matches', async () => {
    await expect(findContainer(api, 'aa')).rejects.toMatchObject({ code: 'TARGET_AMBIGUOUS', message: expect.stringMatching(/matches 2 containers: aa1100000000 \(box\), aa2200000000 \(web\)/) });
  });
  it('suggests close names for an unknown one', async () => {
    await expect(findContainer(api, 'wbe')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'no container named wbe; did you mean web?' });
  });
});

describe('runningContainers', () => {
  const info = (id: string, running: boolean): ContainerInfo => ({ id, name: `c-${id}`, running, status: running ? 'running' : 'exited', pid: running ? 7 : 0, networkMode: 'bridge', networks: {} });
  it('inspects each listed container in order, leaving out the stopped and the vanished', async () => {
    const inspected: string[] = [];
    const api: DockerApi = {
      endpoint: 'unix:///fake.sock',
      listContainers: async () => ['a', 'b', 'gone', 'c'].map((Id) => ({ Id })),
      inspect: async (id) => {
        inspected.push(id);
        if (id === 'gone') throw new Error('container gone disappeared');
        return info(id, id !== 'b');
      },
    };
    expect((await runningContainers(api)).map((c) => c.name)).toEqual(['c-a', 'c-c']);
    expect(inspected).toEqual(['a', 'b', 'gone', 'c']);
  });
  it('passes on an unreachable daemon', async () => {
    const api: DockerApi = {
      endpoint: 'unix:///fake.sock',
      listContainers: async () => Promise.reject(Object.assign(new Error('no daemon'), { code: 'DOCKER_UNAVAILABLE' })),
      inspect: async (id) => info(id, true),
    };
    await expect(runningContainers(api)).rejects.toThrow('no daemon');
  });
});

describe('named targets', () => {
  it('takes NAME=SPEC for labels', () => {
    expect(parseTargetSpec('db=pid:42')).toEqual({ kind: 'pid', pid: 42, raw: 'db=pid:42', alias: 'db' });
    expect(parseTargetSpec('box=netns:vc-1-box')).toMatchObject({ kind: 'netns', name: 'vc-1-box', alias: 'box' });
  });
});
