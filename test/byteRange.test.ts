import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, ifRangeMatches, parseByteRange } from '../src/domain/byteRange.js';

describe('parseByteRange', () => {
  it('reads a closed range, inclusive at both ends', () => {
    assert.deepEqual(parseByteRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseByteRange('bytes=10-10', 100), { start: 10, end: 10 });
    assert.deepEqual(parseByteRange('bytes=0-99', 100), { start: 0, end: 99 });
  });

  it('cuts a range that runs past the end down to the last byte', () => {
    assert.deepEqual(parseByteRange('bytes=90-1000', 100), { start: 90, end: 99 });
    assert.deepEqual(parseByteRange('bytes=0-99999999999999999999999', 100), { start: 0, end: 99 });
  });

  it('reads an open range as running to the end', () => {
    assert.deepEqual(parseByteRange('bytes=40-', 100), { start: 40, end: 99 });
    assert.deepEqual(parseByteRange('bytes=99-', 100), { start: 99, end: 99 });
  });

  it('reads a suffix range as the last bytes, or all of them when it asks for more', () => {
    assert.deepEqual(parseByteRange('bytes=-1', 100), { start: 99, end: 99 });
    assert.deepEqual(parseByteRange('bytes=-30', 100), { start: 70, end: 99 });
    assert.deepEqual(parseByteRange('bytes=-500', 100), { start: 0, end: 99 });
  });

  it('takes the unit in any case and spaces around the range', () => {
    assert.deepEqual(parseByteRange('Bytes=1-2', 100), { start: 1, end: 2 });
    assert.deepEqual(parseByteRange('  bytes=1-2  ', 100), { start: 1, end: 2 });
  });

  it('finds a range that starts at or past the end unsatisfiable', () => {
    assert.equal(parseByteRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=100-200', 100), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=99999999999999999999999-', 100), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=0-0', 0), 'unsatisfiable');
    assert.equal(parseByteRange('bytes=-0', 100), 'unsatisfiable');
  });

  it('serves an empty file whole for a suffix range, which it satisfies with no bytes', () => {
    assert.equal(parseByteRange('bytes=-5', 0), null);
  });

  it('ignores what it does not serve: no header, other units, several ranges, bad syntax', () => {
    for (const header of [
      undefined,
      '',
      'bytes=',
      'bytes=-',
      'items=0-9',
      'bytes 0-9',
      'bytes=0-9,20-29',
      'bytes=9-0',
      'bytes=a-b',
      'bytes=1.5-3',
      'bytes=+1-3',
      'bytes=-1-3',
      'bytes=0x10-20',
    ]) {
      assert.equal(parseByteRange(header, 100), null, String(header));
    }
  });
});

describe('contentRange', () => {
  it('names the range sent and the whole size', () => {
    assert.equal(contentRange({ start: 0, end: 9 }, 100), 'bytes 0-9/100');
    assert.equal(contentRange({ start: 99, end: 99 }, 100), 'bytes 99-99/100');
  });

  it('names only the size when nothing could be sent', () => {
    assert.equal(contentRange('unsatisfiable', 100), 'bytes */100');
  });
});

describe('ifRangeMatches', () => {
  const etag = '"abc123"';

  it('lets a range through with no If-Range, or one naming the current tag', () => {
    assert.equal(ifRangeMatches(undefined, etag), true);
    assert.equal(ifRangeMatches('"abc123"', etag), true);
    assert.equal(ifRangeMatches(' "abc123" ', etag), true);
  });

  it('stops it for another tag, a weak tag, an unquoted tag or a date', () => {
    for (const ifRange of ['"abc124"', 'W/"abc123"', 'abc123', 'Thu, 26 Nov 2026 07:00:00 GMT', '']) {
      assert.equal(ifRangeMatches(ifRange, etag), false, ifRange);
    }
  });
});
