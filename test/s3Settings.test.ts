import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageSettings } from '../src/blobs/s3Settings.js';
import { loadConfig } from '../src/config.js';

describe('storage settings', () => {
  it('stays local by default', () => {
    assert.deepEqual(storageSettings({}), { kind: 'local' });
    assert.deepEqual(storageSettings({ ELNPORT_BLOBS: 'local', ELNPORT_S3_BUCKET: 'ignored' }), { kind: 'local' });
  });

  it('reads the S3 variables', () => {
    const settings = storageSettings({
      ELNPORT_BLOBS: 's3',
      ELNPORT_S3_BUCKET: 'lab-archives',
      ELNPORT_S3_ENDPOINT: 'http://minio:9000',
      ELNPORT_S3_PREFIX: 'elnport/',
      ELNPORT_S3_REGION: 'eu-west-2',
      ELNPORT_S3_FORCE_PATH_STYLE: 'true',
      ELNPORT_S3_REDIRECT: 'true',
      ELNPORT_S3_REDIRECT_SECONDS: '120',
      ELNPORT_S3_TIMEOUT_SECONDS: '2.5',
    });
    assert.deepEqual(settings, {
      kind: 's3',
      s3: { endpoint: 'http://minio:9000', bucket: 'lab-archives', prefix: 'elnport/', region: 'eu-west-2', forcePathStyle: true, redirectSeconds: 120, timeoutMs: 2500 },
    });
    assert.deepEqual(storageSettings({ ELNPORT_BLOBS: 's3', ELNPORT_S3_BUCKET: 'abc' }), {
      kind: 's3',
      s3: { endpoint: null, bucket: 'abc', prefix: '', region: 'us-east-1', forcePathStyle: false, redirectSeconds: null, timeoutMs: 120_000 },
    });
  });

  it('redirects downloads for 5 minutes unless told otherwise, and only when asked to', () => {
    const s3 = { ELNPORT_BLOBS: 's3', ELNPORT_S3_BUCKET: 'abc' };
    const seconds = (env: Record<string, string>) => {
      const settings = storageSettings({ ...s3, ...env });
      return settings.kind === 's3' ? settings.s3.redirectSeconds : 'local';
    };
    assert.equal(seconds({ ELNPORT_S3_REDIRECT: 'true' }), 300);
    assert.equal(seconds({ ELNPORT_S3_REDIRECT: 'false' }), null);
    assert.equal(seconds({ ELNPORT_S3_REDIRECT: 'true', ELNPORT_S3_REDIRECT_SECONDS: '604800' }), 604800);
    assert.deepEqual(storageSettings({ ELNPORT_S3_REDIRECT: 'true' }), { kind: 'local' }, 'only with ELNPORT_BLOBS=s3');
  });

  it('names the variable at fault', () => {
    const s3 = { ELNPORT_BLOBS: 's3', ELNPORT_S3_BUCKET: 'abc' };
    const cases: [Record<string, string>, RegExp][] = [
      [{ ELNPORT_BLOBS: 'gcs' }, /ELNPORT_BLOBS must be local or s3, got "gcs"/],
      [{ ELNPORT_BLOBS: 's3' }, /ELNPORT_S3_BUCKET must name a bucket/],
      [{ ...s3, ELNPORT_S3_BUCKET: 'Lab_Archives' }, /ELNPORT_S3_BUCKET must name a bucket .* got "Lab_Archives"/],
      [{ ...s3, ELNPORT_S3_ENDPOINT: 'minio:9000' }, /ELNPORT_S3_ENDPOINT must start with http:\/\/ or https:\/\//],
      [{ ...s3, ELNPORT_S3_PREFIX: 'elnport' }, /ELNPORT_S3_PREFIX must be of .*, end with \//],
      [{ ...s3, ELNPORT_S3_PREFIX: 'lab?x/' }, /ELNPORT_S3_PREFIX must be of A-Z, a-z, 0-9, \., _, - and \//],
      [{ ...s3, ELNPORT_S3_PREFIX: '/elnport/' }, /ELNPORT_S3_PREFIX .* not start with one/],
      [{ ...s3, ELNPORT_S3_FORCE_PATH_STYLE: 'yes' }, /ELNPORT_S3_FORCE_PATH_STYLE must be true or false \(or 1 or 0\), got "yes"/],
      [{ ...s3, ELNPORT_S3_REDIRECT: 'on' }, /ELNPORT_S3_REDIRECT must be true or false \(or 1 or 0\), got "on"/],
      [{ ...s3, ELNPORT_S3_REDIRECT_SECONDS: '60' }, /ELNPORT_S3_REDIRECT_SECONDS is set, but ELNPORT_S3_REDIRECT is not true/],
      ...['0', '-5', 'soon'].map((raw): [Record<string, string>, RegExp] => [
        { ...s3, ELNPORT_S3_TIMEOUT_SECONDS: raw },
        new RegExp(`ELNPORT_S3_TIMEOUT_SECONDS must be a positive number of seconds, got "${raw}"`),
      ]),
      ...['0', '604801', '5m', '1.5', '-1', ' 60'].map((raw): [Record<string, string>, RegExp] => [
        { ...s3, ELNPORT_S3_REDIRECT: 'true', ELNPORT_S3_REDIRECT_SECONDS: raw },
        new RegExp(`ELNPORT_S3_REDIRECT_SECONDS must be a whole number of seconds from 1 to 604800, got "${raw.replace('.', '\\.')}"`),
      ]),
    ];
    for (const [env, message] of cases) assert.throws(() => storageSettings(env), message, JSON.stringify(env));
  });

  it('is part of the server\'s config, so a bad setting stops the server before it opens anything', () => {
    assert.deepEqual(loadConfig({ ELNPORT_BLOBS: 's3', ELNPORT_S3_BUCKET: 'abc' }).storage.kind, 's3');
    assert.throws(() => loadConfig({ ELNPORT_BLOBS: 'ftp' }), /ELNPORT_BLOBS must be local or s3, got "ftp"/);
  });
});
