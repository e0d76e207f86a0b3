import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAddress, engineGet, parseReply } from '../../../src/targets/docker-engine.js';
import { connectDocker, containerInfo, findContainer, type ContainerInfo, type DockerApi } from '../../../src/targets/docker.js';

describe('engineAddress', () => {
  it('speaks unix sockets and plain tcp, and leaves TLS and ssh to dockerode', () => {
    expect(engineAddress('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(engineAddress('tcp://127.0.0.1:2375')).toEqual({ host: '127.0.0.1', port: 2375 });
    expect(engineAddress('tcp://docker')).toEqual({ host: 'docker', port: 2375 });
    expect(engineAddress('tcp://[::1]:2375')).toEqual({ host: '::1', port: 2375 });
    expect(engineAddress('tcp://docker:2376')).toBeUndefined();
    expect(engineAddress('tcp://docker:2375', { DOCKER_TLS_VERIFY: '1' })).toBeUndefined();
    expect(engineAddress('ssh://me@docker')).toBeUndefined();
    expect(engineAddress('unix://')).toBeUndefined();
  });
});

describe('parseReply', () => {
  it('reads the status and the JSON body, by content-length, to the close, or chunked', () => {
    const body = '{"Id":"abc"}';
    expect(parseReply(Buffer.from(`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`))).toEqual({ status: 200, body: { Id: 'abc' } });
    expect(parseReply(Buffer.from(`HTTP/1.1 404 Not Found\r\n\r\n{"message":"No such container: x"}\n`))).toEqual({ status: 404, body: { message: 'No such container: x' } });
    expect(parseReply(Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"Id"\r\n7\r\n:"abc"}\r\n0\r\n\r\n`))).toEqual({ status: 200, body: { Id: 'abc' } });
    expect(parseReply(Buffer.from('HTTP/1.0 500 Internal Server Error\r\n\r\nnot json'))).toEqual({ status: 500, body: undefined });
  });
  it('refuses what is not HTTP', () => {
    expect(() => parseReply(Buffer.from('SSH-2.0-OpenSSH\r\n'))).toThrow(/not an HTTP reply/);
  });
});

describe('containerInfo', () => {
  it('takes what vethcap uses from an inspect', () => {
    const info = containerInfo(
      {
        Id: 'f'.repeat(64),
        Name: '/box',
        State: { Running: true, Status: 'running', Pid: 4242 },
        HostConfig: { NetworkMode: 'lab' },
        NetworkSettings: { Networks: { lab: { MacAddress: '02:42:C6:12:00:02', IPAddress: '198.18.0.2' } } },
      },
      'unix:///fake.sock',
    );
    expect(info).toEqual({ id: 'f'.repeat(64), name: 'box', running: true, status: 'running', pid: 4242, networkMode: 'lab', networks: { lab: { mac: '02:42:c6:12:00:02', ip: '198.18.0.2' } } });
  });
  it('says the daemon answered something else', () => {
    expect(() => containerInfo({ message: 'page not found' }, 'unix:///fake.sock')).toThrow(expect.objectContaining({ code: 'DOCKER_UNAVAILABLE' }));
  });
});

/** A fake engine on a unix socket in a temporary folder: answers from a table of paths. */
describe('the engine client against a fake engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-engine-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: string[] = [];
  const inspect = (id: string, name: string) => ({ Id: id, Name: `/${name}`, State: { Running: true, Status: 'running', Pid: 7 }, HostConfig: { NetworkMode: 'bridge' }, NetworkSettings: { Networks: {} } });
  const box = 'aa11'.padEnd(64, '0');
  const web = 'aa22'.padEnd(64, '0');
  const table: Record<string, [number, unknown]> = {
    '/containers/box/json': [200, inspect(box, 'box')],
    [`/containers/${box}/json`]: [200, inspect(box, 'box')],
    [`/containers/${web}/json`]: [200, inspect(web, 'web')],
    '/containers/aa/json': [400, { message: 'multiple IDs found with provided prefix: aa' }],
    '/containers/json?all=1': [200, [{ Id: box, Names: ['/box'] }, { Id: web, Names: ['/web'] }]],
  };
  let server: Server;
  beforeAll(async () => {
    server = createServer((socket) => {
      let text = '';
      // The fake engine answers once the request's head is whole (it may come in pieces).
      const answer = () => {
        const path = /^GET (\S+) HTTP\/1\.0\r\n/.exec(text)?.[1] ?? '';
        requests.push(path);
        const [status, body] = table[path] ?? [404, { message: `No such container: ${path}` }];
        socket.end(`HTTP/1.0 ${status} X\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(body)}\n`);
      };
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a container by name in one request', async () => {
    requests.length = 0;
    const api = connectDocker({ DOCKER_HOST: `unix://${socketPath}` });
    expect(await findContainer(api, 'box')).toMatchObject({ id: box, name: 'box', pid: 7 });
    expect(requests).toEqual(['/containers/box/json']);
  });
  it('lists the containers to say why a name is unknown or a prefix ambiguous', async () => {
    const api = connectDocker({ DOCKER_HOST: `unix://${socketPath}` });
    requests.length = 0;
    await expect(findContainer(api, 'wbe')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'no container named wbe; did you mean web?' });
    expect(requests).toEqual(['/containers/wbe/json', '/containers/json?all=1']);
    await expect(findContainer(api, 'aa')).rejects.toMatchObject({ code: 'TARGET_AMBIGUOUS' });
  });
  it('says the daemon is unavailable when nothing listens', async () => {
    const api = connectDocker({ DOCKER_HOST: `unix://${join(dir, 'none.sock')}` });
    await expect(findContainer(api, 'box')).rejects.toMatchObject({ code: 'DOCKER_UNAVAILABLE', message: expect.stringMatching(/no such socket/) });
    await expect(engineGet({ socketPath: join(dir, 'none.sock') }, '/_ping')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('findContainer with a lookup', () => {
  it('takes the one the daemon resolves, without listing', async () => {
    const found: ContainerInfo = { id: 'c'.repeat(64), name: 'box', running: true, status: 'running', pid: 1, networkMode: 'bridge', networks: {} };
    const api: DockerApi = {
      endpoint: 'unix:///fake.sock',
      listContainers: () => Promise.reject(new Error('listed')),
      inspect: () => Promise.reject(new Error('inspected')),
      lookup: async (ref) => (ref === 'box' ? found : undefined),
    };
    expect(await findContainer(api, 'box')).toBe(found);
    await expect(findContainer(api, 'web')).rejects.toThrow('listed');
  });
});
