/**
 * Security Command Center findings delivered through Pub/Sub.
 *
 * - A NotificationMessage `{notificationConfigName, finding, resource}` is an SCC finding beside its
 *   resource: scc.ts reads it.
 * - A push request `{message: {data, attributes, messageId, publishTime}, subscription}` (or a pulled
 *   message `{ackId, message}`) carries the NotificationMessage as base64 JSON in `message.data`. The
 *   Node Pub/Sub client's message, serialized, has `data` as `{type: "Buffer", data: [bytes]}`.
 *
 * The decoded payload is read by the same detection as any other object, except that it may not be
 * another push request: one level of wrapping is what Pub/Sub produces, and more is a decoding bomb.
 */
import { field, isRecord, type JsonRecord, rec } from './fields.js';
import { MalformedFinding, type Normalized } from './result.js';
import { normalizeSccFinding } from './scc.js';

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The JSON value inside a push request's `message.data`. Throws MalformedFinding when it is not one. */
export function decodePushData(push: JsonRecord): unknown {
  const message = rec(push, 'message');
  const data = message ? field(message, 'data') : undefined;
  let bytes: Buffer;
  if (typeof data === 'string') {
    if (!BASE64.test(data)) throw new MalformedFinding('Pub/Sub message data is not base64');
    bytes = Buffer.from(data, 'base64');
  } else if (isRecord(data) && data.type === 'Buffer' && Array.isArray(data.data)) {
    const raw = data.data;
    if (!raw.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new MalformedFinding('Pub/Sub message data is not a byte array');
    }
    bytes = Buffer.from(raw as number[]);
  } else {
    throw new MalformedFinding('Pub/Sub message has no data');
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MalformedFinding('Pub/Sub message data is not JSON');
  }
}

/** A NotificationMessage: its finding, read with the resource SCC sends beside it. */
export function normalizeNotification(notification: JsonRecord): Normalized {
  return normalizeSccFinding(rec(notification, 'finding') ?? {}, rec(notification, 'resource'));
}
