/**
 * The RPM header binary format, as rpm stores one installed package in its database (the blob of a
 * `Packages` row): big-endian `int32 il` (index entries), `int32 dl` (data bytes), then `il` entries of
 * `{int32 tag, uint32 type, int32 offset, uint32 count}`, then `dl` bytes of data that the entries point
 * into. Every offset and count comes from the image, so each is checked against the data before use,
 * and reading a tag touches at most `dl` bytes: no read out of range, no allocation from a count.
 */
import { InputError } from '../errors.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import { PathBudget } from './text.js';

export const RPMTAG = Object.freeze({
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILEMODES: 1030,
  PROVIDENAME: 1047,
  REQUIREFLAGS: 1048,
  REQUIRENAME: 1049,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
});

const TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
};
const ENTRY_BYTES = 16;
const PREAMBLE_BYTES = 8;
/** rpm's own cap on index entries (header.c HEADER_I_MAX). */
const MAX_INDEX_ENTRIES = 0x10000;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export interface RpmFile {
  /** Absolute path as the package lists it. */
  path: string;
  /** st_mode from FILEMODES (type and permission bits), when the header has it. */
  mode?: number;
}

export interface RpmHeader {
  name: string;
  version?: string;
  release?: string;
  epoch?: number;
  arch?: string;
  files: RpmFile[];
  /** REQUIRENAME, each with its REQUIREFLAGS (RPMSENSE_* bits) when the header has them. */
  requires: RpmRequire[];
  /** PROVIDENAME: the package's own name, its sonames (`libfoo.so.1()(64bit)`), explicit provides. */
  provides: string[];
}

export interface RpmRequire {
  name: string;
  flags?: number;
}

export function isRpmDirectory(file: RpmFile): boolean {
  return file.mode !== undefined && (file.mode & S_IFMT) === S_IFDIR;
}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

class HeaderReader {
  private readonly entries = new Map<number, Entry>();
  private readonly data: Buffer;

  constructor(
    blob: Buffer,
    private readonly file: string,
    private readonly label: string,
  ) {
    if (blob.length < PREAMBLE_BYTES) this.fail('shorter than its 8-byte preamble');
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il === 0 || il > MAX_INDEX_ENTRIES) this.fail(`has ${il} index entries (1 to ${MAX_INDEX_ENTRIES})`);
    const dataStart = PREAMBLE_BYTES + il * ENTRY_BYTES;
    if (dataStart + dl > blob.length) this.fail('index or data runs past the end of the blob');
    this.data = blob.subarray(dataStart, dataStart + dl);
    for (let i = 0; i < il; i++) {
      const at = PREAMBLE_BYTES + i * ENTRY_BYTES;
      const tag = blob.readUInt32BE(at);
      // The first occurrence wins; rpm never writes a tag twice.
      if (!this.entries.has(tag)) {
        this.entries.set(tag, {
          type: blob.readUInt32BE(at + 4),
          offset: blob.readUInt32BE(at + 8),
          count: blob.readUInt32BE(at + 12),
        });
      }
    }
  }

  fail(what: string): never {
    throw new InputError(`rpm database: ${this.label}: ${what}`, { file: this.file });
  }

  private entry(tag: number, types: readonly number[]): Entry | undefined {
    const entry = this.entries.get(tag);
    if (entry === undefined) return undefined;
    if (!types.includes(entry.type))
      this.fail(`tag ${tag} has type ${entry.type}, expected ${types.join(' or ')}`);
    // Every string takes at least its NUL byte and every number at least one byte: a count above the
    // data size is corrupt, whatever the type.
    if (entry.count === 0 || entry.count > this.data.length || entry.offset >= this.data.length) {
      this.fail(`tag ${tag} points outside the header data (offset ${entry.offset}, count ${entry.count})`);
    }
    return entry;
  }

  strings(tag: number): string[] | undefined {
    const entry = this.entry(tag, [TYPE.STRING, TYPE.STRING_ARRAY, TYPE.I18NSTRING]);
    if (entry === undefined) return undefined;
    if (entry.type === TYPE.STRING && entry.count !== 1)
      this.fail(`tag ${tag} is a STRING with count ${entry.count}`);
    const out: string[] = [];
    let pos = entry.offset;
    for (let i = 0; i < entry.count; i++) {
      const end = pos < this.data.length ? this.data.indexOf(0, pos) : -1;
      if (end < 0)
        this.fail(`tag ${tag}: string ${i + 1} of ${entry.count} is not NUL-terminated inside the data`);
      out.push(this.data.toString('utf8', pos, end));
      pos = end + 1;
    }
    return out;
  }

  string(tag: number): string | undefined {
    return this.strings(tag)?.[0];
  }

  ints(tag: number, type: typeof TYPE.INT16 | typeof TYPE.INT32): number[] | undefined {
    const entry = this.entry(tag, [type]);
    if (entry === undefined) return undefined;
    const size = type === TYPE.INT16 ? 2 : 4;
    if (entry.offset + entry.count * size > this.data.length) {
      this.fail(`tag ${tag}: ${entry.count} numbers run past the end of the header data`);
    }
    const out = new Array<number>(entry.count);
    for (let i = 0; i < entry.count; i++) {
      const at = entry.offset + i * size;
      out[i] = size === 2 ? this.data.readUInt16BE(at) : this.data.readInt32BE(at);
    }
    return out;
  }
}

function filesOf(h: HeaderReader, budget: PathBudget): RpmFile[] {
  let paths: string[];
  const basenames = h.strings(RPMTAG.BASENAMES);
  if (basenames !== undefined) {
    const dirindexes = h.ints(RPMTAG.DIRINDEXES, TYPE.INT32);
    const dirnames = h.strings(RPMTAG.DIRNAMES);
    if (dirindexes === undefined || dirnames === undefined)
      h.fail('BASENAMES without DIRINDEXES and DIRNAMES');
    if (dirindexes.length !== basenames.length) h.fail('DIRINDEXES and BASENAMES differ in length');
    paths = basenames.map((base, i) => {
      const dir = dirnames[dirindexes[i]!];
      if (dir === undefined) h.fail(`DIRINDEXES[${i}] = ${dirindexes[i]} is not an index into DIRNAMES`);
      budget.spend(dir.length + base.length);
      return dir + base;
    });
  } else {
    paths = h.strings(RPMTAG.OLDFILENAMES) ?? [];
  }
  const modes = paths.length === 0 ? undefined : h.ints(RPMTAG.FILEMODES, TYPE.INT16);
  if (modes !== undefined && modes.length !== paths.length)
    h.fail('FILEMODES and the file names differ in length');
  return paths.map((path, i) => (modes === undefined ? { path } : { path, mode: modes[i]! }));
}

function relationsOf(h: HeaderReader): Pick<RpmHeader, 'requires' | 'provides'> {
  const names = h.strings(RPMTAG.REQUIRENAME) ?? [];
  const provides = h.strings(RPMTAG.PROVIDENAME) ?? [];
  if (names.length + provides.length > PACKAGE_DB_LIMITS.maxRelationsPerPackage) {
    h.fail(`more than ${PACKAGE_DB_LIMITS.maxRelationsPerPackage} requires and provides`);
  }
  const flags = names.length === 0 ? undefined : h.ints(RPMTAG.REQUIREFLAGS, TYPE.INT32);
  if (flags !== undefined && flags.length !== names.length)
    h.fail('REQUIREFLAGS and REQUIRENAME differ in length');
  const requires = names.map((name, i) => (flags === undefined ? { name } : { name, flags: flags[i]! }));
  return { requires, provides };
}

/**
 * Parses one header blob. `file` (the database's image path) and `label` (which header, e.g.
 * `Packages row 12`) say where in errors.
 */
export function parseRpmHeader(
  blob: Buffer,
  file = '/var/lib/rpm/rpmdb.sqlite',
  label = 'header',
): RpmHeader {
  if (blob.length > PACKAGE_DB_LIMITS.maxRpmHeaderBytes) {
    throw new InputError(`rpm database: ${label}: larger than ${PACKAGE_DB_LIMITS.maxRpmHeaderBytes} bytes`, {
      file,
    });
  }
  const h: HeaderReader = new HeaderReader(blob, file, label);
  const name = h.string(RPMTAG.NAME);
  if (name === undefined || name === '') h.fail('has no NAME');
  const header: RpmHeader = {
    name,
    files: filesOf(h, new PathBudget(blob.length, file)),
    ...relationsOf(h),
  };
  const version = h.string(RPMTAG.VERSION);
  if (version !== undefined) header.version = version;
  const release = h.string(RPMTAG.RELEASE);
  if (release !== undefined) header.release = release;
  const epoch = h.ints(RPMTAG.EPOCH, TYPE.INT32)?.[0];
  if (epoch !== undefined) header.epoch = epoch;
  const arch = h.string(RPMTAG.ARCH);
  if (arch !== undefined) header.arch = arch;
  return header;
}

/** rpm's EVR as `rpm -q` prints it: `[epoch:]version[-release]`. */
export function rpmVersionOf(header: RpmHeader): string | undefined {
  if (header.version === undefined) return undefined;
  const epoch = header.epoch === undefined ? '' : `${header.epoch}:`;
  const release = header.release === undefined ? '' : `-${header.release}`;
  return `${epoch}${header.version}${release}`;
}
