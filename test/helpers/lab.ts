import { afterAll, beforeAll } from 'vitest';
import { createLab, type Lab, type LabOptions } from '../../src/lab/lab.js';

/**
 * A lab for the tests of one describe block: built before them, removed after them
 * even when they fail. Use as `const lab = useLab()` and read `lab()` inside tests.
 */
export function useLab(options: LabOptions = {}): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await createLab(options);
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  return () => {
    if (!lab) throw new Error('lab not built (beforeAll failed?)');
    return lab;
  };
}
