/**
 * When no finding is about the gated image but some are about others, the reader is told which of those
 * repositories look most like the gated one: usually the findings are simply about other images, but a
 * mistaken identity (a local tag such as `127.0.0.1:5055/acme/inventory` for `docker.io/acme/inventory`, a
 * registry move) looks exactly the same, and the fix is `--repository`.
 *
 * Closest means, in order: the same last path segment (the image's own name, which survives registry moves
 * and mirrors), then the smaller edit distance, then more findings, then the name.
 */
import { inert } from '../formats/escape.js';
import { plural } from '../formats/view.js';
import { editDistance } from '../text/edit-distance.js';

export interface OtherRepository {
  repository: string;
  findings: number;
}

export function closestRepositories(
  gated: string,
  others: ReadonlyMap<string, number>,
  max = 3,
): OtherRepository[] {
  const last = lastSegment(gated);
  return [...others]
    .map(([repository, findings]) => ({
      repository,
      findings,
      sameName: lastSegment(repository) === last ? 0 : 1,
      distance: editDistance(gated, repository),
    }))
    .sort(
      (a, b) =>
        a.sameName - b.sameName ||
        a.distance - b.distance ||
        b.findings - a.findings ||
        (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0),
    )
    .slice(0, max)
    .map(({ repository, findings }) => ({ repository, findings }));
}

function lastSegment(repository: string): string {
  return repository.slice(repository.lastIndexOf('/') + 1);
}

/**
 * The one-line hint for stderr, or undefined when it does not apply (some finding is about the gated
 * image, or no finding is about any image). Repository names come from findings: made inert.
 */
export function otherImagesHint(
  gated: string,
  decisions: number,
  otherImages: number,
  others: ReadonlyMap<string, number>,
): string | undefined {
  if (decisions > 0 || otherImages === 0) return undefined;
  const closest = closestRepositories(gated, others)
    .map((r) => `${inert(r.repository)} (${plural(r.findings, 'finding')})`)
    .join(', ');
  return (
    `no finding is about ${inert(gated)}, but ${plural(otherImages, 'finding')} ${otherImages === 1 ? 'is' : 'are'} about other images` +
    (closest ? `; closest: ${closest}` : '') +
    '. If one of them is this image under another name (a local tag, a registry move), gate with ' +
    '--repository <repo>; --fail-on no-findings makes this case fail the gate.'
  );
}
