/**
 * `docker save`'s own index: `manifest.json` (`[{Config, RepoTags, Layers}]`) and the older
 * `repositories` (`{repo: {tag: id}}`). Docker 25+ writes these next to an OCI layout, with paths
 * into `blobs/`; earlier versions point at `<id>/layer.tar` and `<id>.json`.
 */
import { InputError } from '../errors.js';
import { normalizeEntryName } from './entry-path.js';
import { fail, isObject, optionalStringArray, parseJson, stringAt } from './json-input.js';

export interface DockerSaveImage {
  /** Archive member names, normalized without a leading slash. */
  config: string;
  layers: string[];
  repoTags: string[];
}

export function parseDockerSaveManifest(text: string, where: string, maxPathBytes: number): DockerSaveImage {
  const doc = parseJson(text, where);
  if (!Array.isArray(doc)) fail(where, 'manifest.json', 'an array');
  if (doc.length !== 1) {
    throw new InputError(`archive holds ${doc.length} images; save one image per archive`, {
      file: where,
    });
  }
  const image = doc[0];
  if (!isObject(image)) fail(where, '[0]', 'an object');
  const member = (v: unknown, field: string) =>
    normalizeEntryName(stringAt(v, where, field), where, maxPathBytes).slice(1);
  const layersField = image.Layers;
  if (!Array.isArray(layersField)) fail(where, '[0].Layers', 'an array');
  return {
    config: member(image.Config, '[0].Config'),
    layers: layersField.map((l, i) => member(l, `[0].Layers[${i}]`)),
    repoTags: optionalStringArray(image.RepoTags, where, '[0].RepoTags') ?? [],
  };
}

/** `repositories` → `repo:tag` references, used when manifest.json names none. */
export function parseRepositories(text: string, where: string): string[] {
  const doc = parseJson(text, where);
  if (!isObject(doc)) fail(where, 'repositories', 'an object');
  const out: string[] = [];
  for (const [repo, tags] of Object.entries(doc)) {
    if (!isObject(tags)) fail(where, repo.slice(0, 60), 'an object of tags');
    for (const tag of Object.keys(tags)) out.push(`${repo}:${tag}`);
  }
  return out;
}
