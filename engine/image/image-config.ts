/**
 * The image config blob (Docker / OCI image config) → the summary the manifest carries: user,
 * entrypoint, cmd, workdir, env, labels, os/arch, history, and the layers' uncompressed digests.
 */
import { InputError } from '../errors.js';
import {
  digestAt,
  isObject,
  objectAt,
  optionalString,
  optionalStringArray,
  parseJson,
  stringRecord,
} from './json-input.js';
import type { HistoryEntry, ImageConfigSummary } from './types.js';

export interface ParsedImageConfig {
  summary: ImageConfigSummary;
  history: HistoryEntry[];
  /** `rootfs.diff_ids`, one per layer, bottom first. */
  diffIds: string[];
}

export function parseImageConfig(text: string, where: string): ParsedImageConfig {
  const root = objectAt(parseJson(text, where), where, 'image config');
  const cfg = root.config === undefined || root.config === null ? {} : objectAt(root.config, where, 'config');
  const summary: ImageConfigSummary = { labels: stringRecord(cfg.Labels, where, 'config.Labels') };
  const user = optionalString(cfg.User, where, 'config.User');
  const entrypoint = optionalStringArray(cfg.Entrypoint, where, 'config.Entrypoint');
  const cmd = optionalStringArray(cfg.Cmd, where, 'config.Cmd');
  const workingDir = optionalString(cfg.WorkingDir, where, 'config.WorkingDir');
  const env = optionalStringArray(cfg.Env, where, 'config.Env');
  const architecture = optionalString(root.architecture, where, 'architecture');
  const os = optionalString(root.os, where, 'os');
  if (user !== undefined && user !== '') summary.user = user;
  if (entrypoint !== undefined) summary.entrypoint = entrypoint;
  if (cmd !== undefined) summary.cmd = cmd;
  if (workingDir !== undefined && workingDir !== '') summary.workingDir = workingDir;
  if (env !== undefined) summary.env = env;
  if (architecture !== undefined) summary.architecture = architecture;
  if (os !== undefined) summary.os = os;

  const rootfs = objectAt(root.rootfs, where, 'rootfs');
  if (!Array.isArray(rootfs.diff_ids))
    throw new InputError('rootfs.diff_ids: expected an array', { file: where });
  const diffIds = rootfs.diff_ids.map((d, i) => digestAt(d, where, `rootfs.diff_ids[${i}]`));

  const history: HistoryEntry[] = [];
  if (root.history !== undefined && root.history !== null) {
    if (!Array.isArray(root.history)) throw new InputError('history: expected an array', { file: where });
    root.history.forEach((h, i) => {
      if (!isObject(h)) throw new InputError(`history[${i}]: expected an object`, { file: where });
      const entry: HistoryEntry = {};
      const created = optionalString(h.created, where, `history[${i}].created`);
      const createdBy = optionalString(h.created_by, where, `history[${i}].created_by`);
      const comment = optionalString(h.comment, where, `history[${i}].comment`);
      if (created !== undefined) entry.created = created;
      if (createdBy !== undefined) entry.createdBy = createdBy;
      if (comment !== undefined) entry.comment = comment;
      if (h.empty_layer === true) entry.emptyLayer = true;
      history.push(entry);
    });
  }
  return { summary, history, diffIds };
}
