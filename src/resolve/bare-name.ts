import { stat } from 'node:fs/promises';
import { chooseAmongRuntimes, type RuntimeAnswer } from '../targets/bare-name.js';
import { locateTask, tasksNamed, type ContainerdApi } from '../targets/containerd.js';
import { dockerEndpoint, type DockerApi } from '../targets/docker.js';
import { TargetNotFound, closeNames } from '../targets/suggest.js';
import type { PodmanApi } from '../targets/podman.js';
import { locateContainer, type LocatedContainer } from './locate-container.js';

/** The runtimes a bare name is looked up in, each connected lazily. */
export interface Runtimes {
  docker: () => DockerApi;
  podman: () => PodmanApi;
  containerd: () => ContainerdApi;
  env?: NodeJS.ProcessEnv;
  /** Whose rootless Podman `podman:` targets are looked for in too (resolve's --user). */
  user?: string;
}

/**
 * A bare name in every runtime present: Docker when its socket is there (or DOCKER_HOST
 * names one), Podman when its service or its database is, containerd when its socket is
 * (every namespace but moby, Docker's own). All asked at once; chooseAmongRuntimes says
 * which answer wins, or why none does.
 */
export async function locateBareName(ref: string, runtimes: Runtimes): Promise<LocatedContainer> {
  const env = runtimes.env ?? process.env;
  const absent: string[] = [];
  const asking: Array<Promise<Array<RuntimeAnswer<LocatedContainer>>>> = [];

  const dockerAt = dockerEndpoint(env);
  asking.push(
    dockerPresent(env).then(async (present) => {
      if (!present) {
        absent.push(`Docker at ${dockerAt}`);
        return [];
      }
      return [await answer('Docker', `docker:${ref}`, () => locateContainer('docker', ref, runtimes.docker()))];
    }),
  );

  const podman = runtimes.podman();
  asking.push(
    podman.mode().then(
      async (mode) => {
        if (!mode) {
          absent.push(`Podman at ${podman.endpoint}`);
          return [];
        }
        return [await answer('Podman', `podman:${ref}`, () => locateContainer('podman', ref, podman))];
      },
      (error: unknown) => [{ runtime: 'Podman', spec: `podman:${ref}`, result: { ok: false, error } }],
    ),
  );

  const containerd = runtimes.containerd();
  asking.push(
    containerd.present().then(async (present) => {
      if (!present) {
        absent.push(`containerd at ${containerd.address}`);
        return [];
      }
      return containerdAnswers(ref, containerd);
    }),
  );

  const answers = (await Promise.all(asking)).flat();
  return chooseAmongRuntimes(ref, answers, absent);
}

async function answer(runtime: string, spec: string, locate: () => Promise<LocatedContainer>): Promise<RuntimeAnswer<LocatedContainer>> {
  try {
    const value = await locate();
    return { runtime, spec, result: { ok: true, value, inode: value.netns.inode } };
  } catch (error) {
    return { runtime, spec, result: { ok: false, error } };
  }
}

/** One answer per containerd namespace holding a task by that name; one not-found answer when none does. */
async function containerdAnswers(ref: string, api: ContainerdApi): Promise<Array<RuntimeAnswer<LocatedContainer>>> {
  let perNamespace;
  try {
    perNamespace = await tasksNamed(api, ref);
  } catch (error) {
    return [{ runtime: 'containerd', spec: `containerd:NAMESPACE/${ref}`, result: { ok: false, error } }];
  }
  const hits = perNamespace.filter((n) => n.candidates.length > 0);
  if (hits.length === 0) {
    const suggestions = closeNames(ref, [...new Set(perNamespace.flatMap((n) => n.names))]);
    return [{ runtime: 'containerd', spec: `containerd:NAMESPACE/${ref}`, result: { ok: false, error: new TargetNotFound(`no containerd task ${ref}.`, suggestions) } }];
  }
  return Promise.all(hits.map((n) => answer(`containerd namespace ${n.namespace}`, `containerd:${n.namespace}/${n.match?.id ?? ref}`, () => locateTask(api, n.namespace, ref))));
}

/** Docker is there when DOCKER_HOST names it, or its socket file exists (a refused socket is Docker stopped: asked, and it says so). */
async function dockerPresent(env: NodeJS.ProcessEnv): Promise<boolean> {
  if (env.DOCKER_HOST && env.DOCKER_HOST !== '') return true;
  return stat(dockerEndpoint(env).replace(/^unix:\/\//, '')).then(
    () => true,
    (error: unknown) => (error as { code?: string }).code !== 'ENOENT',
  );
}
