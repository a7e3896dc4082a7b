/**
 * Reading small documents (manifests, configs, error bodies) from a registry without trusting it
 * about their size: a hostile or broken registry must not be able to make us buffer gigabytes.
 */
import { UnreachableError } from '../../engine/errors.js';

export async function readBounded(
  response: Response,
  limit: number,
  what: string,
  asked: string,
): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new UnreachableError(`${what}: ${asked} is ${declared} bytes, more than the ${limit} allowed`);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const step = await reader.read().catch(() => {
      throw new UnreachableError(`${what}: connection lost while reading ${asked}`);
    });
    if (step.done) break;
    size += step.value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new UnreachableError(`${what}: ${asked} is more than the ${limit} bytes allowed`);
    }
    chunks.push(Buffer.from(step.value));
  }
  return Buffer.concat(chunks);
}
