/**
 * Falco `json_output` events → Finding.
 *
 * Only `output_fields` is read, never the `output` text: that text is a format string filled with
 * values the process controls (its command line, its name), so parsing it would let the binary
 * choose what driftgate sees. Falco reports fields it could not resolve as `<NA>` or `""`; both are
 * absent here. Falco hashes nothing, so a Falco finding has no sha256: it compares by path alone.
 */
import { binaryRef } from './binary.js';
import { eventId } from './event-id.js';
import { field, type JsonRecord, rec, str } from './fields.js';
import { imageFromParts } from './image-ref.js';
import type { Normalized } from './result.js';
import {
  capArgs,
  capText,
  isFilelessPath,
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_TEXT_LENGTH,
  normalizeBinaryPath,
  quote,
} from './sanitize.js';
import { fromEpochNanos, normalizeTime } from './time.js';
import type { Finding, ProcessRef, Workload } from './types.js';

/** A resolved Falco field: a non-empty string other than Falco's `<NA>`. */
function fstr(fields: JsonRecord, key: string): string | undefined {
  const v = field(fields, key);
  return typeof v === 'string' && v.length > 0 && v !== '<NA>' ? v : undefined;
}

/** `proc.exepath` is the executable's full path; `proc.exe` is argv[0], a path only when absolute. */
function exePath(fields: JsonRecord, exepath: string, exe: string): string | undefined {
  const full = fstr(fields, exepath);
  if (full !== undefined) return full;
  const argv0 = fstr(fields, exe);
  return argv0?.startsWith('/') ? argv0 : undefined;
}

/**
 * The executed binary's path as reported, of any type: `proc.exepath` when Falco resolved it (even to
 * something unusable such as `memfd:x (deleted)`, which is fileless execution, not "no path"), else an
 * absolute or fileless `proc.exe`. Undefined when the event names no executable at all (a rule about a file).
 */
function reportedExe(fields: JsonRecord): unknown {
  const full = field(fields, 'proc.exepath');
  if (full !== undefined && full !== null && full !== '' && full !== '<NA>') return full;
  const argv0 = fstr(fields, 'proc.exe');
  return argv0 !== undefined && (argv0.startsWith('/') || isFilelessPath(argv0)) ? argv0 : undefined;
}

/** Falco gives the command line as one string: split on spaces, for evidence only. */
function cmdlineArgs(cmdline: string | undefined): string[] | undefined {
  if (cmdline === undefined) return undefined;
  const bounded =
    cmdline.length > MAX_ARGS * MAX_ARG_LENGTH ? cmdline.slice(0, MAX_ARGS * MAX_ARG_LENGTH) : cmdline;
  return capArgs(bounded.split(' ').filter((a) => a.length > 0));
}

export function normalizeFalcoEvent(event: JsonRecord): Normalized {
  const fields = rec(event, 'output_fields') ?? {};
  const rule = str(event, 'rule') ?? '';
  const path = reportedExe(fields);
  if (path === undefined) return { skip: `the Falco event of rule ${quote(rule)} names no executable path` };
  // Every Falco event that names its executable is gated, so one whose path is unusable is kept too.
  const binary = binaryRef({ path }, false);

  // The id goes first (field order is what JSON output shows); it is set once the rest is known.
  const out: Finding = {
    id: '',
    source: 'falco',
    category: capText(rule)!,
    // Falco has no malicious-hash verdict; IoC hashes from policies cannot apply either (no hash).
    malicious: false,
    binary,
    image: imageFromParts({
      reference: fstr(fields, 'container.image'),
      repository: fstr(fields, 'container.image.repository'),
      tag: fstr(fields, 'container.image.tag'),
      digest: fstr(fields, 'container.image.digest'),
    }),
    workload: falcoWorkload(event, fields),
  };
  const args = cmdlineArgs(fstr(fields, 'proc.cmdline'));
  if (args) out.args = args;
  const parent = falcoParent(fields);
  if (parent) out.parent = parent;
  const eventTime =
    normalizeTime(field(event, 'time')) ??
    normalizeTime(fstr(fields, 'evt.time.iso8601')) ??
    fromEpochNanos(field(fields, 'evt.time'));
  if (eventTime) out.eventTime = eventTime;

  const uuid = str(event, 'uuid');
  const id = uuid !== undefined && uuid.length <= MAX_TEXT_LENGTH ? uuid : eventId(out);
  out.id = id;
  return { finding: out };
}

function falcoParent(fields: JsonRecord): ProcessRef | undefined {
  const ref: ProcessRef = {};
  const name = capText(fstr(fields, 'proc.pname'));
  if (name) ref.name = name;
  const raw = exePath(fields, 'proc.pexepath', 'proc.pexe');
  if (raw !== undefined) {
    const p = normalizeBinaryPath(raw);
    if ('path' in p) ref.path = p.path;
  }
  const args = cmdlineArgs(fstr(fields, 'proc.pcmdline'));
  if (args) ref.args = args;
  return ref.name || ref.path || ref.args ? ref : undefined;
}

function falcoWorkload(event: JsonRecord, fields: JsonRecord): Workload {
  const w: Workload = {};
  const namespace = fstr(fields, 'k8s.ns.name');
  if (namespace) w.namespace = capText(namespace)!;
  const pod = fstr(fields, 'k8s.pod.name');
  if (pod) w.pod = capText(pod)!;
  const container = fstr(fields, 'container.name');
  if (container) w.container = capText(container)!;
  const node = str(event, 'hostname') ?? fstr(fields, 'evt.hostname');
  if (node) w.node = capText(node)!;
  return w;
}
