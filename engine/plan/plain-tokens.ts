/**
 * What may be written into a Dockerfile from a policy. The policy loader validates these already;
 * the planner checks again because its output is executed by a shell and a builder: anything that
 * is not one plain word (no spaces, quotes, `$`, backticks, newlines, leading dash) is refused.
 */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*$/;
/** Versions as apt, apk and rpm spell them, including apt's `7.88.*` wildcard and epochs (`1:2.3`). */
const PACKAGE_VERSION = /^[A-Za-z0-9][A-Za-z0-9+.~:_*-]*$/;
/** An image reference (`registry:5000/ns/img:tag@sha256:…`) or a stage name. */
const COPY_FROM = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
/** A normalized absolute path: no `.`/`..` segments, no doubled or trailing slash. */
const COPY_SRC = /^(\/[A-Za-z0-9._@+-]+)+$/;

export function isPlainPackageName(s: string): boolean {
  return PACKAGE_NAME.test(s);
}

export function isPlainVersion(s: string): boolean {
  return PACKAGE_VERSION.test(s);
}

export function isPlainCopyFrom(s: string): boolean {
  return COPY_FROM.test(s);
}

export function isPlainCopySrc(s: string): boolean {
  return COPY_SRC.test(s) && !s.split('/').some((seg) => seg === '.' || seg === '..');
}
