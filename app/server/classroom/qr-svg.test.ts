import { describe, expect, it } from 'vitest';
import { qrSvg } from './qr-svg.js';

describe('the join QR code', () => {
  it('is a scalable SVG of the code with its quiet zone, titled as text', () => {
    const svg = qrSvg('http://192.168.1.5:3000/join/K7M2QX', 'Join <Monday> & co');
    // 39 bytes at error correction M: version 3, 29 modules, plus 4 quiet modules each side.
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 37 37"/);
    expect(svg).toContain('<title>Join &lt;Monday&gt; &amp; co</title>');
    // The top-left finder pattern starts right after the quiet zone.
    expect(svg).toContain('M4 4h1v1h-1zM5 4h1v1h-1z');
    expect(svg).not.toContain('<Monday>');
  });
});
