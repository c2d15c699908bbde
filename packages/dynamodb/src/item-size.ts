import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './item';

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * The size of an item the way DynamoDB counts it against its 400 KB limit
 * (Developer Guide, "Item sizes and formats"): for each attribute, the UTF-8
 * bytes of its name plus the size of its value.
 */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Bytes(name) + valueSize(value);
  return size;
}

/** Size of one attribute value, in bytes. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  // A list or map costs 3 bytes, plus 1 byte per element (and, in a map, the element's name).
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8Bytes(k) + valueSize(v), 0);
  return 0;
}

/**
 * Size of a Number: 1 byte, plus 1 per pair of significant decimal digits
 * (pairs aligned on the decimal point, as DynamoDB stores base-100 digits),
 * plus 1 when negative. DynamoDB documents this as an approximation.
 */
export function numberSize(n: string): number {
  const match = /^(-?)0*(\d*?)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n.trim());
  if (!match) return 1 + Math.ceil(n.length / 2);
  const [, sign, intPart = '', fracPart = '', exp = '0'] = match;
  const digits = `${intPart}${fracPart}`;
  const firstNonZero = digits.search(/[1-9]/);
  if (firstNonZero < 0) return 1; // zero
  const lastNonZero = digits.length - 1 - [...digits].reverse().findIndex((d) => d !== '0');
  // Decimal power of the leading and the trailing significant digit.
  const shift = Number(exp);
  const top = intPart.length - 1 - firstNonZero + shift;
  const bottom = intPart.length - 1 - lastNonZero + shift;
  const pairs = Math.floor(top / 2) - Math.floor(bottom / 2) + 1;
  return 1 + pairs + (sign === '-' ? 1 : 0);
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
