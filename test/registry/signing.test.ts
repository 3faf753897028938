// The signing module in-process: reading the signing fields of an index without
// parsing it, verifying an index against a trust state, and an older nepho's
// parser reading a signed index as it reads any other.
import t from 'tap';
import { parseIndex } from '../../src/registry/format.js';
import { readIndexHeader, verifyIndex, type TrustState } from '../../src/registry/signing.js';
import { fakeEntry } from '../fixtures/registry.js';
import { nextKeyBy, signedDoc, testKey } from '../fixtures/signed.js';

const bytes = (text: string) => Buffer.from(text);

t.test('readIndexHeader finds the top-level signing fields wherever they are, and only those', async (t) => {
  const doc =
    '{"cloudlets": {"a/b": {"generated": "inner", "x": "}\\"{["}}, "expires": "2027-01-01T00:00:00Z",\n "nextKey": {"key": "k", "signature": "s"}, "generated": "2026-01-01T00:00:00Z", "extra": [1, {"generated": 2}]}';
  t.same(readIndexHeader(bytes(doc)), { expires: '2027-01-01T00:00:00Z', nextKey: { key: 'k', signature: 's' }, generated: '2026-01-01T00:00:00Z' });
  t.same(readIndexHeader(bytes('{"generated": "1", "generated": "2"}')), { generated: '2' }, 'the last of a repeated field, as JSON.parse has it');
  t.same(readIndexHeader(bytes('[1, 2]')), {}, 'not an object');
  t.same(readIndexHeader(bytes('{"generated": "2026-01-01T00:00:00Z", oops')), { generated: '2026-01-01T00:00:00Z' }, 'stops at what is not JSON');
  t.same(readIndexHeader(bytes('')), {});
});

t.test('verifyIndex: the verdict and the trust state to keep; nothing else accepted', async (t) => {
  const [a, b] = [testKey(), testKey()];
  const trust: TrustState = { pinned: a.public, key: a.public, generated: '2026-11-01T00:00:00Z' };
  const ok = signedDoc({ 'a/b': fakeEntry() }, a, { generated: '2026-11-02T00:00:00Z', expires: '2026-12-02T00:00:00Z' });
  t.same(verifyIndex(bytes(ok.body), ok.sig, trust, 'r'), {
    key: a.public,
    rotated: false,
    trust: { pinned: a.public, key: a.public, generated: '2026-11-02T00:00:00Z', expires: '2026-12-02T00:00:00Z' },
  });
  const same = signedDoc({ 'a/b': fakeEntry() }, a, { generated: '2026-11-01T00:00:00Z' });
  t.equal(verifyIndex(bytes(same.body), same.sig, trust, 'r').key, a.public, 'as new as the last one verified is not a rollback');
  t.throws(() => verifyIndex(bytes(ok.body), undefined, trust, 'r'), { code: 'REGISTRY_SIGNATURE_MISSING' });
  t.throws(() => verifyIndex(bytes(ok.body), 'not base64 of anything', trust, 'r'), { code: 'REGISTRY_SIGNATURE_INVALID' });
  t.throws(() => verifyIndex(bytes(`${ok.body} `), ok.sig, trust, 'r'), { code: 'REGISTRY_SIGNATURE_INVALID' }, 'one byte more');
  const undated = signedDoc({}, a, { generated: undefined as unknown as string });
  t.throws(() => verifyIndex(bytes(undated.body), undated.sig, trust, 'r'), { code: 'REGISTRY_INVALID', message: /must say when it was "generated"/ });
  const baddate = signedDoc({}, a, { generated: 'yesterday' });
  t.throws(() => verifyIndex(bytes(baddate.body), baddate.sig, trust, 'r'), { code: 'REGISTRY_INVALID', message: /"generated" is not a date/ });
  // One step: signed with b, carrying b signed with a: a user who never saw an announcement follows.
  const rotated = signedDoc({}, b, { generated: '2026-11-03T00:00:00Z', nextKey: nextKeyBy(b, a) });
  t.match(verifyIndex(bytes(rotated.body), rotated.sig, trust, 'r'), { key: b.public, rotated: true, trust: { key: b.public, retired: [a.public] } });
  const forged = signedDoc({}, b, { generated: '2026-11-03T00:00:00Z', nextKey: nextKeyBy(b, b) });
  t.throws(() => verifyIndex(bytes(forged.body), forged.sig, trust, 'r'), { code: 'REGISTRY_SIGNATURE_INVALID' }, 'a key that vouches for itself');
});

t.test('a signed index reads, in the parser every nepho has, as the same index unsigned', async (t) => {
  const key = testKey();
  const cloudlets = { 'a/b': fakeEntry({ summary: 'x' }) };
  const signed = signedDoc(cloudlets, key, { generated: '2026-11-02T00:00:00Z', expires: '2026-12-02T00:00:00Z', nextKey: nextKeyBy(testKey(), key) });
  const plain = JSON.stringify({ apiVersion: 'nepho/v1', generated: '2026-11-02T00:00:00Z', cloudlets });
  t.same(parseIndex(signed.body, 'r', 'https://example.org/index.json'), parseIndex(plain, 'r', 'https://example.org/index.json'));
});
